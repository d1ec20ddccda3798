# chainkms_service(NAME <svc> SOURCES <.cc ...> TESTS <_test.cc ...> DEPS <targets ...>
#                  [TEST_DEPS <targets ...>] [TEST_LABELS <labels ...>])
#
# The shape every service has: a `chainkms_<svc>_lib` static library from SOURCES (never
# main.cc), a `chainkms-<svc>` binary from main.cc, and one `chainkms_<svc>_test` GoogleTest
# binary from TESTS (registered with ctest, labelled `service` plus TEST_LABELS). Sources are
# listed explicitly so a stray file never joins a target unnoticed.
function(chainkms_service)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;TESTS;DEPS;TEST_DEPS;TEST_LABELS" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "chainkms_service: NAME is required")
  endif()
  set(lib chainkms_${ARG_NAME}_lib)
  add_library(${lib} STATIC ${ARG_SOURCES})
  target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${lib} PUBLIC ${ARG_DEPS})
  chainkms_target_warnings(${lib})

  add_executable(chainkms-${ARG_NAME} main.cc)
  target_link_libraries(chainkms-${ARG_NAME} PRIVATE ${lib})
  chainkms_target_warnings(chainkms-${ARG_NAME})

  if(CHAINKMS_BUILD_TESTS AND ARG_TESTS)
    set(test chainkms_${ARG_NAME}_test)
    add_executable(${test} ${ARG_TESTS})
    target_link_libraries(${test} PRIVATE ${lib} chainkms_testing ${ARG_TEST_DEPS} GTest::gmock
                          GTest::gtest_main)
    chainkms_target_warnings(${test})
    add_test(NAME ${test} COMMAND ${test})
    set_tests_properties(${test} PROPERTIES
      TIMEOUT 600
      LABELS "service;${ARG_TEST_LABELS}"
      ENVIRONMENT "CHAINKMS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()
