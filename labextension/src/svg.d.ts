// SVG files are bundled as their source text (JupyterLab's webpack config; jest's raw loader in tests).
declare module '*.svg' {
  const value: string;
  export default value;
}
