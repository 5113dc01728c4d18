"""What the command line and the magic share (argument shapes, policy loading, error reports); never the server."""
