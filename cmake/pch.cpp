// fjwatch_pch: the target that builds the precompiled header (CMakeLists.txt); no code.
