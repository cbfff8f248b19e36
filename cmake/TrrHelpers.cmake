# Build settings and the three helpers every folder uses: trr_test, trr_fuzz
# and trr_bench. Each target is named in the CMakeLists.txt of its folder.

add_compile_options(-Wall -Wextra)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Checks ABSL_GUARDED_BY and friends.
  add_compile_options(-Wthread-safety)
endif()
if(TRR_WERROR)
  add_compile_options(-Werror)
endif()

if(TRR_SANITIZE)
  add_compile_options(-fsanitize=${TRR_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${TRR_SANITIZE})
  # The library's own consistency checks (a lookup's state machine), which
  # release builds leave out, stay on under the sanitizers.
  add_compile_definitions(TRR_DEBUG_CHECKS)
  # A C program linked against libtrr.so needs the C++ half of clang's
  # sanitizer runtimes (UBSan's vptr check) and libstdc++, which the C
  # driver leaves out.
  add_link_options(
    "$<$<AND:$<LINK_LANGUAGE:C>,$<C_COMPILER_ID:Clang>>:-fsanitize-link-c++-runtime;-lstdc++>")
endif()

if(TRR_SANITIZE STREQUAL "thread")
  # Every test ctest runs, script tests and the programs they start
  # included, gets the TSan options and suppressions: ctest includes this
  # file before running the tests and passes its environment on.
  file(WRITE ${PROJECT_BINARY_DIR}/tsan_environment.cmake
       "set(ENV{TSAN_OPTIONS} \"halt_on_error=1 second_deadlock_stack=1 suppressions=${PROJECT_SOURCE_DIR}/tests/tsan.supp\")\n")
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY
               TEST_INCLUDE_FILES ${PROJECT_BINARY_DIR}/tsan_environment.cmake)
endif()

if(TRR_COVERAGE)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TRR_COVERAGE needs clang: CC=clang CXX=clang++")
  endif()
  add_compile_options(-fprofile-instr-generate -fcoverage-mapping)
  add_link_options(-fprofile-instr-generate)
endif()

if(TRR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TRR_FUZZ needs clang: CC=clang CXX=clang++")
  endif()
  # Coverage instrumentation everywhere; only the fuzz binaries get the
  # libFuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# trr_test(NAME SOURCES... DEPS ... [LABELS ...])
# A GoogleTest binary whose tests ctest lists one by one.
function(trr_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gmock GTest::gtest_main)
  set(properties TIMEOUT 300)
  if(T_LABELS)
    list(APPEND properties LABELS "${T_LABELS}")
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES ${properties}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# trr_fuzz(NAME SOURCE DEPS ... CORPUS dir)
# A libFuzzer target when TRR_FUZZ is on; otherwise the same entry point
# linked with fuzz/standalone_main.cc, which replays the seed corpus. Either
# way the corpus runs as a ctest regression test.
function(trr_fuzz name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_DEPS})
  if(TRR_FUZZ)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${name} PRIVATE trr_fuzz_standalone_main)
  endif()
  set_property(GLOBAL APPEND PROPERTY TRR_FUZZ_TARGETS ${name})
  add_test(NAME ${name}_corpus
           COMMAND ${name} -runs=0 ${PROJECT_SOURCE_DIR}/${F_CORPUS})
  set_tests_properties(${name}_corpus PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()

# trr_bench(NAME SOURCES... DEPS ...)
function(trr_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  target_link_libraries(${name} PRIVATE ${B_DEPS})
endfunction()

# trr_library(NAME SOURCES...): one of the libraries that make up libtrr.
# Built with hidden visibility, so that only what the public headers mark
# TRR_EXPORT leaves libtrr.so. (Only these: abseil's flags compare type ids
# across shared objects, which hidden visibility in a binary would break.)
function(trr_library name)
  add_library(${name} ${ARGN})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}
                             ${PROJECT_SOURCE_DIR}/include)
  set_target_properties(${name} PROPERTIES CXX_VISIBILITY_PRESET hidden
                        C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  set_property(GLOBAL APPEND PROPERTY TRR_LIBRARY_TARGETS ${name})
endfunction()
