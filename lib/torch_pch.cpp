// Nothing but the precompiled LibTorch headers (lib/CMakeLists.txt) that other targets reuse.
