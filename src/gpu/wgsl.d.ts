declare module '*.wgsl' {
  const shader: { file: string; code: string };
  export default shader;
}
