{
  "targets": [
    {
      "target_name": "segface_torch",
      "sources": ["src/addon.cc", "src/dispatch.cc", "src/dist.cc", "src/cuda_graph.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node detect.js include)",
        "shim"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "<!@(node detect.js defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "ldflags": ["<!@(node detect.js ldflags)"],
      "libraries": ["<!@(node detect.js libs)"]
    }
  ]
}
