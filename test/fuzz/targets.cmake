# The fuzz targets, one per input surface, and the library each one exercises. Included by
# CMakeLists.txt here (libFuzzer binaries) and by replay.cmake (ctest replay, any compiler).
# A target whose library is not part of the build is skipped with a note.
set(FEAST_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

# mode "fuzz": <name> linked with libFuzzer. mode "replay": <name>_replay, the same entry
# point driven by replay_main.cc over seeds/<name>/ and regressions/<name>/.
function(feast_fuzz_target name library mode)
  if(NOT TARGET ${library})
    message(STATUS "fuzz: ${name} skipped, ${library} is not built")
    return()
  endif()
  if(mode STREQUAL "fuzz")
    add_executable(${name} ${FEAST_FUZZ_DIR}/${name}.cc)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${library})
  else()
    add_executable(${name}_replay ${FEAST_FUZZ_DIR}/${name}.cc ${FEAST_FUZZ_DIR}/replay_main.cc)
    target_compile_features(${name}_replay PRIVATE cxx_std_20)
    target_link_libraries(${name}_replay PRIVATE ${library})
    add_test(NAME fuzz_replay.${name}
             COMMAND ${name}_replay ${FEAST_FUZZ_DIR}/seeds/${name} ${FEAST_FUZZ_DIR}/regressions/${name})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz)
  endif()
endfunction()

function(feast_fuzz_targets mode)
  feast_fuzz_target(quantity_fuzz feast_policy ${mode})
  feast_fuzz_target(policy_file_fuzz feast_policy ${mode})
  feast_fuzz_target(yaml_json_fuzz feast_policy ${mode})
  feast_fuzz_target(secret_manifest_fuzz feast_secrets ${mode})
  feast_fuzz_target(admission_fuzz feast_server ${mode})
  feast_fuzz_target(watch_stream_fuzz feast_server ${mode})
endfunction()
