declare module '*.wgsl' {
  const shader: { file: string; code: string };
  export default shader;
}

// wgsl_reflect's ESM build has no types of its own; they are the package's.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
