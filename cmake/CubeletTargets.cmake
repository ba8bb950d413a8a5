# One helper per target kind, so each folder's CMakeLists.txt reads like a manifest:
#   cubelet_library(NAME SRCS ... DEPS ...)
#   cubelet_test(NAME SRCS ... DEPS ... [LABELS ...])
#   cubelet_benchmark(NAME SRCS ... DEPS ...)
#   cubelet_binary(NAME SRCS ... DEPS ...)
# Targets are named cubelet_<folder>_<name>; tests register with ctest under the same name.

set(CUBELET_WARNINGS -Wall -Wextra -Werror -Wnon-virtual-dtor -Wno-unused-parameter
    -Wno-missing-field-initializers)
# GCC 12 reports std::string/std::optional false positives at -O2 (GCC bugs 105329,
# 105562).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND CUBELET_WARNINGS -Wno-restrict -Wno-maybe-uninitialized)
endif()

set(CUBELET_SANITIZER_FLAGS "")
if(CUBELET_SANITIZE)
  set(CUBELET_SANITIZER_FLAGS -fsanitize=${CUBELET_SANITIZE} -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # ASan's instrumentation makes GCC 12 see writes past freshly allocated
    # vectors that are not there (GCC bugs 105651, 106297).
    list(APPEND CUBELET_WARNINGS -Wno-stringop-overflow)
  endif()
  if(CUBELET_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # asio's handler fences trip GCC's "fence not supported" warning; the
    # scheduler's mutex already orders the handlers TSan sees.
    list(APPEND CUBELET_WARNINGS -Wno-tsan)
  endif()
endif()

# Fuzz builds: every library gets libFuzzer's coverage instrumentation; the
# fuzz targets add -fsanitize=fuzzer (fuzz/CMakeLists.txt).
if(CUBELET_FUZZ)
  list(APPEND CUBELET_SANITIZER_FLAGS -fsanitize=fuzzer-no-link)
endif()

function(_cubelet_common target)
  target_compile_options(${target} PRIVATE ${CUBELET_WARNINGS} ${CUBELET_SANITIZER_FLAGS})
  target_link_options(${target} PRIVATE ${CUBELET_SANITIZER_FLAGS})
  target_include_directories(${target} SYSTEM PRIVATE ${ASIO_INCLUDE_DIR})
endfunction()

function(cubelet_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  _cubelet_common(${name})
  target_compile_options(${name} INTERFACE ${CUBELET_SANITIZER_FLAGS})
  target_link_options(${name} INTERFACE ${CUBELET_SANITIZER_FLAGS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_include_directories(${name} SYSTEM PUBLIC ${ASIO_INCLUDE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} Threads::Threads)
endfunction()

function(cubelet_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  _cubelet_common(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set(labels unit ${ARG_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 300)
endfunction()

function(cubelet_benchmark name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  _cubelet_common(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

function(cubelet_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  _cubelet_common(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# End-to-end tests against real services; label "e2e" only, so sanitizer and
# unit runs (-L unit) leave them out.
function(cubelet_e2e_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  _cubelet_common(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "e2e" TIMEOUT 900)
endfunction()
