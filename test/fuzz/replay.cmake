# ctest replay of the saved fuzz inputs (seeds/<target>/, regressions/<target>/) through
# the fuzz entry points, in the normal build with no fuzzing engine. Include it from
# test/CMakeLists.txt after the product libraries are defined.
include(${CMAKE_CURRENT_LIST_DIR}/targets.cmake)
feast_fuzz_targets(replay)
