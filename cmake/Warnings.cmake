# chainkms_target_warnings(<target>): our code builds warning-free.
function(chainkms_target_warnings target)
  # Designated initializers leave defaulted members out on purpose.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter
                         -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports false -Wrestrict on std::string operator+ at -O3 (GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wshadow=local -Wno-restrict)
  endif()
  if(CHAINKMS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# chainkms_library(<name> DEPS ...): a library from the .cc files of the current folder,
# leaving out *_test.cc, *_benchmark.cc and *_fuzz.cc.
function(chainkms_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_(test|benchmark|fuzz)\\.cc$")
  if(NOT srcs)
    # A module whose sources have not landed yet: headers only.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  chainkms_target_warnings(${name})
endfunction()

# chainkms_unit_tests(<name> DEPS ...): one GoogleTest binary from the *_test.cc beside the code.
function(chainkms_unit_tests name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  if(NOT CHAINKMS_BUILD_TESTS)
    return()
  endif()
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  chainkms_target_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "CHAINKMS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
