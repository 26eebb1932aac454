import type { ShaderSource } from '../src/gpu/kernel.ts';
/** The generated entry points, in the order the header of shaders/attention.wgsl lists them. */
export declare function attentionEntries(): string;
/** shaders/attention.wgsl with the generated entry points appended (one object: pipelines cache on it). */
export declare const attentionShader: ShaderSource;
/** One generated flash entry: which kernel, the head size and load width it is unrolled for, rows per invocation. */
export interface FlashVariant {
    kind: 'fwd' | 'decode' | 'dq' | 'dkv';
    hd: number;
    /** vec4 loads through the *4 views (hd and every stride/offset multiples of 4), else scalar loads */
    v4: boolean;
    /** query rows (fwd, decode, dq) or key rows (dkv) per invocation */
    R: number;
    /** dq: write dq (else only D); dkv: write dk, dv, and whether both go through GK (one buffer) */
    dq?: boolean;
    dk?: boolean;
    dv?: boolean;
    shared?: boolean;
}
/** shaders/flash_attention.wgsl with one generated entry for `v` (one object per variant: pipelines cache on it). */
export declare function flashShader(v: FlashVariant): ShaderSource;
