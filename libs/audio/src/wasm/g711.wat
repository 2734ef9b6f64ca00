;; SIMD kernels for G.711 u-law, 16 samples per iteration. Bit-exact to the table-driven scalar
;; code in src/lib/g711.ts (the tests compare all 256 decode and 65,536 encode values).
;; Build: npx nx run audio:generate-wasm  (writes src/lib/generated/g711-simd.ts)
(module
  (memory (export "memory") 1)

  ;; Decodes n u-law bytes at $src into n int16 at $dst. n must be a multiple of 16.
  ;; With c = ~byte (the code word is stored inverted), exponent e = (c >> 4) & 7, mantissa
  ;; m = c & 15, sign = c & 0x80:  |sample| = ((m << 3) + 0x84) * 2^e - 0x84.
  (func (export "ulaw_decode") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $raw v128) (local $base v128) (local $pow v128) (local $sign v128)
    (local $s16 v128) (local $t v128)
    ;; Constants live in locals: the loop body then has no constant materialisation.
    (local $low4 v128) (local $low3 v128) (local $bias v128) (local $pow2 v128) (local $mantissa v128)
    (local $minus1 v128)
    (local.set $low4 (i8x16.splat (i32.const 0x0f)))
    (local.set $low3 (i8x16.splat (i32.const 0x07)))
    (local.set $bias (i16x8.splat (i32.const 0x84)))
    (local.set $minus1 (i8x16.splat (i32.const -1)))
    ;; 2^e for e = 0..7, and (m << 3) + 0x84 for m = 0..15 (as unsigned bytes), for i8x16.swizzle.
    (local.set $pow2 (v128.const i8x16 1 2 4 8 16 32 64 128 0 0 0 0 0 0 0 0))
    (local.set $mantissa
      (v128.const i8x16 132 140 148 156 164 172 180 188 196 204 212 220 228 236 244 252))
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $raw (v128.load (local.get $src)))
        ;; andnot(a, b) = a & ~b: masks the inverted code word without inverting it first.
        (local.set $base (i8x16.swizzle (local.get $mantissa) (v128.andnot (local.get $low4) (local.get $raw))))
        ;; A 16-bit shift is enough: the bits it moves across bytes are masked off.
        (local.set $pow
          (i8x16.swizzle (local.get $pow2)
            (v128.andnot (local.get $low3) (i16x8.shr_u (local.get $raw) (i32.const 4)))))
        ;; Negative where c has its top bit set, i.e. where the raw byte is >= 0: all ones, else 0.
        (local.set $sign (i8x16.gt_s (local.get $raw) (local.get $minus1)))
        ;; Low 8 samples: t = base * 2^e - 0x84, negated by (t ^ s) - s with s = 0 or -1.
        (local.set $t
          (i16x8.sub
            (i16x8.mul (i16x8.extend_low_i8x16_u (local.get $base)) (i16x8.extend_low_i8x16_u (local.get $pow)))
            (local.get $bias)))
        (local.set $s16 (i16x8.extend_low_i8x16_s (local.get $sign)))
        (v128.store (local.get $dst)
          (i16x8.sub (v128.xor (local.get $t) (local.get $s16)) (local.get $s16)))
        (local.set $t
          (i16x8.sub
            (i16x8.mul (i16x8.extend_high_i8x16_u (local.get $base)) (i16x8.extend_high_i8x16_u (local.get $pow)))
            (local.get $bias)))
        (local.set $s16 (i16x8.extend_high_i8x16_s (local.get $sign)))
        (v128.store offset=16 (local.get $dst)
          (i16x8.sub (v128.xor (local.get $t) (local.get $s16)) (local.get $s16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next))))

  ;; Encodes n int16 at $src into n u-law bytes at $dst, 8 samples per step. n must be a multiple
  ;; of 16. With mag = min(|x|, 32635) + 0x84 (132 to 32767): exponent e = floor(log2(mag)) - 7,
  ;; mantissa = (mag >> (e + 3)) & 15, code = ~(sign | e << 4 | mantissa) & 0xff.
  (func (export "ulaw_encode") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $x v128) (local $mag v128) (local $exp v128) (local $mant v128)
    (local $clip v128) (local $bias v128) (local $low4 v128) (local $hiff v128) (local $x80 v128)
    (local $xff v128) (local $zero v128) (local $log2lo v128) (local $log2hi v128) (local $scale v128)
    (local.set $clip (i16x8.splat (i32.const 32635)))
    (local.set $bias (i16x8.splat (i32.const 0x84)))
    (local.set $low4 (i16x8.splat (i32.const 0x0f)))
    (local.set $hiff (i16x8.splat (i32.const 0xff00)))
    (local.set $x80 (i16x8.splat (i32.const 0x80)))
    (local.set $xff (i16x8.splat (i32.const 0xff)))
    (local.set $zero (v128.const i64x2 0 0))
    ;; For a nibble n: 0 if n = 0, else floor(log2(n)) + 1 (lo), and that plus 4 (hi). Index 0
    ;; gives 0, so the zero high byte of every 16-bit lane looks up 0.
    (local.set $log2lo (v128.const i8x16 0 1 2 2 3 3 3 3 4 4 4 4 4 4 4 4))
    (local.set $log2hi (v128.const i8x16 0 5 6 6 7 7 7 7 8 8 8 8 8 8 8 8))
    ;; 2^(7 - e) for e = 0..7
    (local.set $scale (v128.const i8x16 128 64 32 16 8 4 2 1 0 0 0 0 0 0 0 0))
    (local.set $end (i32.add (local.get $dst) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $x (v128.load (local.get $src)))
        ;; abs(-32768) wraps to 0x8000; min_u clips it to 32635 like every other large magnitude.
        (local.set $mag
          (i16x8.add (i16x8.min_u (i16x8.abs (local.get $x)) (local.get $clip)) (local.get $bias)))
        ;; e = floor(log2(mag >> 8)) + 1, or 0 when mag < 256, from the two nibbles of mag >> 8.
        (local.set $exp
          (i8x16.max_u
            (i8x16.swizzle (local.get $log2hi) (i16x8.shr_u (local.get $mag) (i32.const 12)))
            (i8x16.swizzle (local.get $log2lo)
              (v128.and (i16x8.shr_u (local.get $mag) (i32.const 8)) (local.get $low4)))))
        ;; mantissa = ((mag * 2^(7 - e)) >> 10) & 15: the product stays below 2^15, so it is exact.
        ;; The high byte of each lane indexes out of range (0xff) and reads 0.
        (local.set $mant
          (v128.and
            (i16x8.shr_u
              (i16x8.mul (local.get $mag)
                (i8x16.swizzle (local.get $scale) (v128.or (local.get $exp) (local.get $hiff))))
              (i32.const 10))
            (local.get $low4)))
        ;; ~(sign | e << 4 | mantissa) & 0xff = (e << 4 | mantissa) ^ (x < 0 ? 0x7f : 0xff)
        (i64.store (local.get $dst)
          (i64x2.extract_lane 0
            (i8x16.narrow_i16x8_u
              (v128.xor
                (v128.or (i16x8.shl (local.get $exp) (i32.const 4)) (local.get $mant))
                (i16x8.sub (local.get $xff)
                  (v128.and (i16x8.lt_s (local.get $x) (local.get $zero)) (local.get $x80))))
              (local.get $zero))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br $next))))
)
