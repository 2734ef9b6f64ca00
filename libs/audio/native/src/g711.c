/*
 * Native G.711 u-law kernels for @org/audio (a Node-API addon).
 *
 * The TypeScript side (libs/audio/src/lib/native.ts) loads this module when it has been built and
 * prefers it to the WebAssembly kernels when it runs a SIMD kernel. Results are bit-exact to the
 * classic G.711 reference (bias 0x84, clip 32635); the library's tests compare every decode value
 * and every encode input against an independent formulation, on every kernel this CPU has.
 *
 * Exports:
 *   ulawDecode(input: Uint8Array, output: Int16Array): void   decodes input.length samples
 *   ulawEncode(input: Int16Array, output: Uint8Array): void   encodes input.length samples
 *   kernel: 'avx512' | 'avx2' | 'scalar'                      the best kernel of this CPU
 *   kernels: string[]                                         every kernel this CPU can run
 *   useKernel(name: string): void                             for tests: run `name` from now on
 *
 * Decoding uses AVX-512BW where present, else AVX2; encoding uses AVX2 in both cases (it is far
 * below any target that matters). The choice lives in per-instance data (one per Node.js
 * environment, so worker threads do not share it) that reaches each call through Node-API's
 * callback data, at no extra cost.
 *
 * Both functions throw a TypeError (and write nothing) when an argument is not a typed array of
 * the expected element size or the output is shorter than the input. They check only what memory
 * safety needs, because a call of a few hundred samples costs about as much as the checks: the
 * element type of the side that is read or written in 16-bit units, and the lengths.
 */
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define G711_X86 1
#include <immintrin.h>
#else
#define G711_X86 0
#endif

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

enum kernel { KERNEL_SCALAR = 0, KERNEL_AVX2 = 1, KERNEL_AVX512 = 2 };
static const char *const kernel_names[] = {"scalar", "avx2", "avx512"};

/* The reference formulation, one sample at a time: the tails of the SIMD loops and the kernel of
 * CPUs without AVX2. */
static inline int16_t ulaw_decode_sample(uint8_t byte) {
  int code = ~byte & 0xff;
  int exponent = (code >> 4) & 7;
  int mantissa = code & 0x0f;
  int magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return (int16_t)((code & 0x80) ? -magnitude : magnitude);
}

static inline uint8_t ulaw_encode_sample(int16_t sample) {
  int sign = 0;
  int magnitude = sample;
  if (magnitude < 0) {
    sign = 0x80;
    magnitude = -magnitude;
  }
  if (magnitude > ULAW_CLIP) magnitude = ULAW_CLIP;
  magnitude += ULAW_BIAS; /* 132..32767: bit 7 to bit 14 is the highest set bit */
  int exponent = 0;
  while (exponent < 7 && (magnitude >> (exponent + 8)) != 0) exponent++;
  int mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return (uint8_t)(~(sign | (exponent << 4) | mantissa) & 0xff);
}

static void decode_scalar(const uint8_t *in, int16_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = ulaw_decode_sample(in[i]);
}

static void encode_scalar(const int16_t *in, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = ulaw_encode_sample(in[i]);
}

#if G711_X86

/*
 * Decode, 32 samples per step. With c = ~byte, e = (c >> 4) & 7, m = c & 15:
 * |sample| = ((m << 3) + 0x84) * 2^e - 0x84, negative when c has its top bit set.
 * Both factors fit a byte, so they come from 16-entry byte tables (pshufb) and are multiplied
 * in 16-bit lanes; psignw applies the sign (c == 0 only for byte 0xff, whose sample is 0).
 */
__attribute__((target("avx2"))) static void decode_avx2(const uint8_t *in, int16_t *out,
                                                        size_t n) {
  const __m256i ones = _mm256_set1_epi8(-1);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i bias = _mm256_set1_epi16(ULAW_BIAS);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i base = _mm256_setr_epi8(
      (char)132, (char)140, (char)148, (char)156, (char)164, (char)172, (char)180, (char)188,
      (char)196, (char)204, (char)212, (char)220, (char)228, (char)236, (char)244, (char)252,
      (char)132, (char)140, (char)148, (char)156, (char)164, (char)172, (char)180, (char)188,
      (char)196, (char)204, (char)212, (char)220, (char)228, (char)236, (char)244, (char)252);
  /* 2^(k & 7) for k = 0..15: the index keeps the sign bit, the table ignores it. */
  const __m256i power = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2, 4, 8, 16, 32,
                                         64, (char)128, 1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2, 4,
                                         8, 16, 32, 64, (char)128);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i code = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(in + i)), ones);
    __m256i b = _mm256_shuffle_epi8(base, _mm256_and_si256(code, low4));
    /* A 16-bit shift is enough: the bits it moves across bytes are masked off. */
    __m256i p = _mm256_shuffle_epi8(power, _mm256_and_si256(_mm256_srli_epi16(code, 4), low4));
    /* Unpacking works within 128-bit lanes: lo holds samples 0-7 and 16-23, hi 8-15 and 24-31. */
    __m256i lo = _mm256_sub_epi16(
        _mm256_mullo_epi16(_mm256_unpacklo_epi8(b, zero), _mm256_unpacklo_epi8(p, zero)), bias);
    __m256i hi = _mm256_sub_epi16(
        _mm256_mullo_epi16(_mm256_unpackhi_epi8(b, zero), _mm256_unpackhi_epi8(p, zero)), bias);
    /* (c << 8 | c) is negative exactly when c is, and zero only when c is. */
    lo = _mm256_sign_epi16(lo, _mm256_unpacklo_epi8(code, code));
    hi = _mm256_sign_epi16(hi, _mm256_unpackhi_epi8(code, code));
    _mm256_storeu_si256((__m256i *)(out + i), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256((__m256i *)(out + i + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
  decode_scalar(in + i, out + i, n - i);
}

/*
 * Encode 16 samples: mag = min(|x|, 32635) + 0x84 (132..32767), e = floor(log2(mag)) - 7 from the
 * two nibbles of mag >> 8, mantissa = ((mag * 2^(7 - e)) >> 10) & 15 (the product stays below
 * 2^15), code = (e << 4 | mantissa) ^ (x < 0 ? 0x7f : 0xff). Returns the codes in 16-bit lanes.
 */
__attribute__((target("avx2"))) static inline __m256i encode16_avx2(__m256i x) {
  const __m256i clip = _mm256_set1_epi16(ULAW_CLIP);
  const __m256i bias = _mm256_set1_epi16(ULAW_BIAS);
  const __m256i low4 = _mm256_set1_epi16(0x0f);
  const __m256i high_ff = _mm256_set1_epi16((short)0xff00);
  const __m256i x7f = _mm256_set1_epi16(0x7f);
  const __m256i xff = _mm256_set1_epi16(0xff);
  /* For a nibble v: 0 when v = 0, else floor(log2(v)) + 1 (low nibble), plus 4 (high nibble). */
  const __m256i log2_low = _mm256_setr_epi8(0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 0, 1,
                                            2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4);
  const __m256i log2_high = _mm256_setr_epi8(0, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8, 0,
                                             5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8);
  /* 2^(7 - e) for e = 0..7 */
  const __m256i scale = _mm256_setr_epi8((char)128, 64, 32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0,
                                         0, (char)128, 64, 32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0,
                                         0);
  /* abs(-32768) stays 0x8000; the unsigned minimum clips it like every other large magnitude. */
  __m256i mag = _mm256_add_epi16(_mm256_min_epu16(_mm256_abs_epi16(x), clip), bias);
  /* The high byte of each 16-bit index is 0, which looks up 0. */
  __m256i exponent = _mm256_max_epu8(
      _mm256_shuffle_epi8(log2_high, _mm256_srli_epi16(mag, 12)),
      _mm256_shuffle_epi8(log2_low, _mm256_and_si256(_mm256_srli_epi16(mag, 8), low4)));
  /* Index 0xff in the high byte of each lane reads 0 (pshufb zeroes on a set top bit). */
  __m256i factor = _mm256_shuffle_epi8(scale, _mm256_or_si256(exponent, high_ff));
  __m256i mantissa =
      _mm256_and_si256(_mm256_srli_epi16(_mm256_mullo_epi16(mag, factor), 10), low4);
  __m256i flip = _mm256_blendv_epi8(xff, x7f, _mm256_srai_epi16(x, 15));
  return _mm256_xor_si256(_mm256_or_si256(_mm256_slli_epi16(exponent, 4), mantissa), flip);
}

__attribute__((target("avx2"))) static void encode_avx2(const int16_t *in, uint8_t *out,
                                                        size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i a = encode16_avx2(_mm256_loadu_si256((const __m256i *)(in + i)));
    __m256i b = encode16_avx2(_mm256_loadu_si256((const __m256i *)(in + i + 16)));
    /* packus interleaves 64-bit groups of a and b; the permutation restores sample order. */
    __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xd8);
    _mm256_storeu_si256((__m256i *)(out + i), packed);
  }
  encode_scalar(in + i, out + i, n - i);
}


/*
 * Decode with AVX-512BW, 32 samples per step, as a table lookup: the decoded value of byte b is
 * +T[b & 0x7f] when b has its top bit set and -T[b & 0x7f] otherwise, so a 128-entry table of
 * 16-bit magnitudes (four 512-bit registers) covers all 256 bytes. vpermi2w looks up 64 entries
 * by the low 6 bits of each index; bit 6 picks which half.
 */
#define ULAW_MAGNITUDE(code) \
  (((((((code) & 0x0f) << 3) + ULAW_BIAS) << (((code) >> 4) & 7)) - ULAW_BIAS))
/* Entry i is the magnitude of byte 0x80 | i, whose code word ~byte is 0x7f - i. */
#define M1(i) ULAW_MAGNITUDE(0x7f - (i))
#define M8(i) M1(i), M1(i + 1), M1(i + 2), M1(i + 3), M1(i + 4), M1(i + 5), M1(i + 6), M1(i + 7)
#define M32(i) M8(i), M8(i + 8), M8(i + 16), M8(i + 24)
static const int16_t ulaw_magnitudes[128] __attribute__((aligned(64))) = {
    M32(0), M32(32), M32(64), M32(96)};

__attribute__((target("avx512f,avx512bw"))) static void decode_avx512(const uint8_t *in,
                                                                      int16_t *out, size_t n) {
  const __m512i t0 = _mm512_load_si512(ulaw_magnitudes);
  const __m512i t1 = _mm512_load_si512(ulaw_magnitudes + 32);
  const __m512i t2 = _mm512_load_si512(ulaw_magnitudes + 64);
  const __m512i t3 = _mm512_load_si512(ulaw_magnitudes + 96);
  const __m512i bit6 = _mm512_set1_epi16(0x40);
  const __m512i bit7 = _mm512_set1_epi16(0x80);
  const __m512i zero = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512i index = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(in + i)));
    __m512i value = _mm512_mask_blend_epi16(_mm512_test_epi16_mask(index, bit6),
                                            _mm512_permutex2var_epi16(t0, index, t1),
                                            _mm512_permutex2var_epi16(t2, index, t3));
    value = _mm512_mask_sub_epi16(value, _mm512_testn_epi16_mask(index, bit7), zero, value);
    _mm512_storeu_si512(out + i, value);
  }
  decode_scalar(in + i, out + i, n - i);
}

#endif /* G711_X86 */

/* The best kernel of this CPU. __builtin_cpu_supports reads what libgcc found when it loaded
 * (including whether the OS saves the wider registers). */
static enum kernel best_kernel(void) {
#if G711_X86
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return KERNEL_AVX512;
  if (__builtin_cpu_supports("avx2")) return KERNEL_AVX2;
#endif
  return KERNEL_SCALAR;
}

/* Per-environment state, handed to every call as its callback data. */
struct g711_instance {
  enum kernel kernel;
};

static void decode_ulaw(enum kernel kernel, const uint8_t *in, int16_t *out, size_t n) {
#if G711_X86
  if (kernel == KERNEL_AVX512) {
    decode_avx512(in, out, n);
    return;
  }
  if (kernel == KERNEL_AVX2) {
    decode_avx2(in, out, n);
    return;
  }
#else
  (void)kernel;
#endif
  decode_scalar(in, out, n);
}

static void encode_ulaw(enum kernel kernel, const int16_t *in, uint8_t *out, size_t n) {
#if G711_X86
  if (kernel != KERNEL_SCALAR) {
    encode_avx2(in, out, n);
    return;
  }
#else
  (void)kernel;
#endif
  encode_scalar(in, out, n);
}

static int is_16bit(napi_typedarray_type type) {
  return type == napi_int16_array || type == napi_uint16_array;
}

static napi_value throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_AUDIO_NATIVE_ARGUMENT", message);
  return NULL;
}

/* The checked arguments of one conversion call. */
struct conversion {
  const void *in;
  void *out;
  size_t length;
  const struct g711_instance *instance;
};

/*
 * Reads (input, output) of ulawDecode (wide_input = 0: bytes in, 16-bit samples out) or ulawEncode
 * (wide_input = 1). Only the 16-bit side's element type is checked: reading or writing `length`
 * bytes stays inside any typed array of at least `length` elements. Throws a TypeError and
 * returns 0 when the arguments are unusable.
 */
static int read_conversion(napi_env env, napi_callback_info info, int wide_input,
                           struct conversion *conversion) {
  size_t argc = 2;
  napi_value argv[2];
  void *data;
  void *in;
  size_t in_length, out_length;
  napi_typedarray_type type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < 2) {
    throw_type_error(env, wide_input ? "ulawEncode(input, output) takes two typed arrays"
                                     : "ulawDecode(input, output) takes two typed arrays");
    return 0;
  }
  if (napi_get_typedarray_info(env, argv[0], wide_input ? &type : NULL, &in_length, &in, NULL,
                               NULL) != napi_ok ||
      (wide_input && !is_16bit(type))) {
    throw_type_error(env, wide_input ? "ulawEncode: input must be an Int16Array"
                                     : "ulawDecode: input must be a Uint8Array");
    return 0;
  }
  if (napi_get_typedarray_info(env, argv[1], wide_input ? NULL : &type, &out_length,
                               &conversion->out, NULL, NULL) != napi_ok ||
      (!wide_input && !is_16bit(type))) {
    throw_type_error(env, wide_input ? "ulawEncode: output must be a Uint8Array"
                                     : "ulawDecode: output must be an Int16Array");
    return 0;
  }
  if (out_length < in_length) {
    throw_type_error(env, wide_input ? "ulawEncode: output is shorter than input"
                                     : "ulawDecode: output is shorter than input");
    return 0;
  }
  conversion->in = in;
  conversion->length = in_length;
  conversion->instance = data;
  return 1;
}

/* ulawDecode(input: Uint8Array, output: Int16Array) */
static napi_value ulaw_decode(napi_env env, napi_callback_info info) {
  struct conversion c;
  if (read_conversion(env, info, 0, &c) && c.length > 0)
    decode_ulaw(c.instance->kernel, c.in, c.out, c.length);
  return NULL;
}

/* ulawEncode(input: Int16Array, output: Uint8Array) */
static napi_value ulaw_encode(napi_env env, napi_callback_info info) {
  struct conversion c;
  if (read_conversion(env, info, 1, &c) && c.length > 0)
    encode_ulaw(c.instance->kernel, c.in, c.out, c.length);
  return NULL;
}

/* useKernel(name: string): for tests, runs `name` (one of `kernels`) from now on. */
static napi_value use_kernel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  char name[16];
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok)
    return throw_type_error(env, "useKernel(name) takes a kernel name");
  for (int k = KERNEL_SCALAR; k <= (int)best_kernel(); k++) {
    if (strcmp(name, kernel_names[k]) == 0) {
      ((struct g711_instance *)data)->kernel = (enum kernel)k;
      return NULL;
    }
  }
  return throw_type_error(env, "useKernel: this CPU has no such kernel");
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  struct g711_instance *instance = malloc(sizeof *instance);
  if (instance == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  instance->kernel = best_kernel();
  if (napi_set_instance_data(env, instance, free_instance, NULL) != napi_ok) {
    free(instance);
    return NULL;
  }
  napi_value decode, encode, use, kernel, kernels, name;
  if (napi_create_function(env, "ulawDecode", NAPI_AUTO_LENGTH, ulaw_decode, instance, &decode) !=
          napi_ok ||
      napi_create_function(env, "ulawEncode", NAPI_AUTO_LENGTH, ulaw_encode, instance, &encode) !=
          napi_ok ||
      napi_create_function(env, "useKernel", NAPI_AUTO_LENGTH, use_kernel, instance, &use) !=
          napi_ok ||
      napi_create_string_utf8(env, kernel_names[instance->kernel], NAPI_AUTO_LENGTH, &kernel) !=
          napi_ok ||
      napi_create_array(env, &kernels) != napi_ok)
    return NULL;
  for (int k = (int)instance->kernel; k >= KERNEL_SCALAR; k--) {
    if (napi_create_string_utf8(env, kernel_names[k], NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_set_element(env, kernels, (uint32_t)(instance->kernel - k), name) != napi_ok)
      return NULL;
  }
  if (napi_set_named_property(env, exports, "ulawDecode", decode) != napi_ok ||
      napi_set_named_property(env, exports, "ulawEncode", encode) != napi_ok ||
      napi_set_named_property(env, exports, "useKernel", use) != napi_ok ||
      napi_set_named_property(env, exports, "kernel", kernel) != napi_ok ||
      napi_set_named_property(env, exports, "kernels", kernels) != napi_ok)
    return NULL;
  return exports;
}
