# The native backend (native/*.cc) as a Node-API addon, built by scripts/build-native.mjs at
# `npm ci`. One build serves any CPU of its architecture: each instruction set's kernels are a
# library of their own with their own flags (never -march=native), and native/cpu.cc picks one
# at run time (CHARLAB_NATIVE_ISA forces one).
{
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fno-exceptions", "-fno-rtti", "-fvisibility=hidden", "-ffp-contract=off"],
    "cflags_cc!": ["-fno-tree-vectorize"],
    "xcode_settings": {
      "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-ffp-contract=off"],
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17", "/O2", "/fp:precise"] } }
  },
  "targets": [
    {
      "target_name": "charlab_native",
      "sources": ["native/addon.cc", "native/minCharRnnAddon.cc", "native/cpu.cc", "native/pool.cc", "native/isa_scalar.cc"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["isa_avx512", "isa_avx2", "isa_sse2"] }],
        ["target_arch=='arm64'", { "dependencies": ["isa_neon"] }],
        ["OS=='linux'", { "libraries": ["-lpthread"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        { "target_name": "isa_avx512", "type": "static_library", "sources": ["native/isa_avx512.cc"],
          "cflags_cc": ["-fPIC", "-Wno-uninitialized", "-Wno-maybe-uninitialized", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] } } },
        { "target_name": "isa_avx2", "type": "static_library", "sources": ["native/isa_avx2.cc"],
          "cflags_cc": ["-fPIC", "-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX2"] } } },
        { "target_name": "isa_sse2", "type": "static_library", "sources": ["native/isa_sse2.cc"],
          "cflags_cc": ["-fPIC"] }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        { "target_name": "isa_neon", "type": "static_library", "sources": ["native/isa_neon.cc"],
          "cflags_cc": ["-fPIC"] }
      ]
    }]
  ]
}
