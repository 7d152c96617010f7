# CezanneTests.cmake — one GoogleTest executable per tests/**/<Name>Test.cpp.
#
#   tests/<module>/<Name>Test.cpp     -> test_<module>_<Name>Test, linked to gtest_main and
#                                        registered per test case as "<module>.<Suite>.<Test>"
#                                        (gtest_discover_tests), so `ctest -R '^data\.'` works.
#   tests/<module>/<Name>MpiTest.cpp  -> test_<module>_<Name>MpiTest with its own main(),
#                                        run under mpiexec with 1, 2 and 4 ranks (label "mpi").
#
# Every test sees CEZANNE_BINARY (path of the `cezanne` executable) and CEZANNE_SOURCE_DIR in
# its environment; the same two paths are also compiled in as CEZANNE_TEST_BINARY and
# CEZANNE_TEST_SOURCE_DIR so a test executable can be run by hand outside ctest.
include_guard(GLOBAL)
include(GoogleTest)

set(CEZANNE_MPI_TEST_RANKS 1 2 4 CACHE STRING "Rank counts every *MpiTest runs with")

# cezanne_add_test(<source>) — <source> is an absolute path below ${CMAKE_SOURCE_DIR}/tests.
function(cezanne_add_test source)
  file(RELATIVE_PATH rel "${CMAKE_SOURCE_DIR}/tests" "${source}")
  get_filename_component(dir "${rel}" DIRECTORY)
  get_filename_component(stem "${rel}" NAME_WE)
  string(REPLACE "/" "_" module "${dir}")
  if(module STREQUAL "")
    set(target "test_${stem}")
    set(prefix "")
  else()
    set(target "test_${module}_${stem}")
    set(prefix "${module}.")
  endif()

  add_executable(${target} "${source}")
  target_include_directories(${target} PRIVATE "${CMAKE_SOURCE_DIR}/src" "${CMAKE_SOURCE_DIR}/tests")
  target_compile_definitions(${target} PRIVATE
    CEZANNE_TEST_BINARY="$<TARGET_FILE:cezanne>"
    CEZANNE_TEST_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_compile_options(${target} PRIVATE ${CEZANNE_WARNING_FLAGS})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  add_dependencies(${target} cezanne)

  if(stem MATCHES "MpiTest$")
    # Own main(): MPI_Init, gtest, MPI_Finalize. One ctest entry per rank count.
    target_link_libraries(${target} PRIVATE cezanne_core GTest::gtest GTest::gmock)
    foreach(np IN LISTS CEZANNE_MPI_TEST_RANKS)
      add_test(NAME ${target}_np${np}
        COMMAND "${MPIEXEC_EXECUTABLE}" --allow-run-as-root --oversubscribe -np ${np}
                $<TARGET_FILE:${target}>
        WORKING_DIRECTORY "${CMAKE_BINARY_DIR}")
      set_tests_properties(${target}_np${np} PROPERTIES
        TIMEOUT 300
        LABELS mpi
        PROCESSORS ${np}
        SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]"
        # Containers often forbid the cross-memory-attach syscalls Open MPI's shared-memory
        # transport tries first; the copy-in/copy-out path works everywhere.
        ENVIRONMENT "CEZANNE_BINARY=$<TARGET_FILE:cezanne>;CEZANNE_SOURCE_DIR=${CMAKE_SOURCE_DIR};OMPI_MCA_btl_vader_single_copy_mechanism=none")
    endforeach()
  else()
    target_link_libraries(${target} PRIVATE cezanne_core GTest::gtest_main GTest::gmock)
    # gtest_discover_tests flattens list-valued PROPERTIES (CMake < 3.28), so the two
    # variables go through two single-valued properties.
    gtest_discover_tests(${target}
      DISCOVERY_MODE PRE_TEST
      TEST_PREFIX "${prefix}"
      WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
      PROPERTIES
        TIMEOUT 600
        ENVIRONMENT "CEZANNE_BINARY=$<TARGET_FILE:cezanne>"
        ENVIRONMENT_MODIFICATION "CEZANNE_SOURCE_DIR=set:${CMAKE_SOURCE_DIR}")
  endif()
endfunction()

# cezanne_add_all_tests() — every tests/**/*Test.cpp.
function(cezanne_add_all_tests)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/*Test.cpp")
  list(SORT sources)
  foreach(source IN LISTS sources)
    cezanne_add_test("${source}")
  endforeach()
endfunction()

# cezanne_add_all_benchmarks() — every bench/<Name>Bench.cpp becomes bench_<Name>
# (Google Benchmark, not run by ctest).
function(cezanne_add_all_benchmarks)
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/bench/*Bench.cpp")
  list(SORT sources)
  foreach(source IN LISTS sources)
    get_filename_component(stem "${source}" NAME_WE)
    string(REGEX REPLACE "Bench$" "" name "${stem}")
    add_executable(bench_${name} "${source}")
    target_include_directories(bench_${name} PRIVATE "${CMAKE_SOURCE_DIR}/src")
    target_compile_options(bench_${name} PRIVATE ${CEZANNE_WARNING_FLAGS})
    target_link_libraries(bench_${name} PRIVATE cezanne_core benchmark::benchmark_main)
    set_target_properties(bench_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bench")
  endforeach()
endfunction()
