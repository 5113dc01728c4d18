"""Error classes, named as conda-content-trust names them, plus :class:`FormatError` (ours)."""


class CCTError(Exception):
    """Base class of every verification failure."""


class SignatureError(CCTError):
    """The signing threshold was not met."""


class MetadataVerificationError(CCTError):
    """A version-chain break (root N+1 rule) or a metadata type mismatch."""


class UnknownRoleError(CCTError):
    """The role is not delegated by the trusted metadata."""


class FormatError(CCTError, ValueError):
    """A document we refuse to parse or accept (duplicate keys, NaN, too large or deep, bad fields)."""


class NotJSON(FormatError):
    """Not UTF-8 JSON at all (as opposed to JSON that is refused: duplicate keys, NaN, nesting, fields)."""
