# Node-API addon with the native G.711 u-law kernels of @org/audio.
# Built by `npm ci` (tools/build/build-native.mjs) or `npx nx run audio:build-native`.
{
  "targets": [
    {
      "target_name": "audio_g711",
      "sources": ["src/g711.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=c11", "-O3", "-Wall", "-Wextra"],
      "xcode_settings": {"OTHER_CFLAGS": ["-std=c11", "-O3", "-Wall", "-Wextra"]},
    }
  ]
}
