# PlantedIncludes.cmake — the layering check (cmake/CheckLayering.cmake) passes on a copy of the
# tree and fails on the same copy with forbidden includes planted in it, printing exactly one
# line for each.
#
#   cmake -DCEZANNE_SOURCE_DIR=<source root> -DCEZANNE_WORK_DIR=<scratch folder>
#         -P tests/layering/PlantedIncludes.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT CEZANNE_SOURCE_DIR OR NOT CEZANNE_WORK_DIR)
  message(FATAL_ERROR "PlantedIncludes: pass -DCEZANNE_SOURCE_DIR and -DCEZANNE_WORK_DIR")
endif()
set(copy "${CEZANNE_WORK_DIR}")
file(REMOVE_RECURSE "${copy}")
file(MAKE_DIRECTORY "${copy}")
file(COPY "${CEZANNE_SOURCE_DIR}/src" "${CEZANNE_SOURCE_DIR}/include" "${CEZANNE_SOURCE_DIR}/cmake"
     DESTINATION "${copy}")

# <rc> and <output>: the check run on the copy.
function(check_copy rc output)
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -DCEZANNE_SOURCE_DIR=${copy} -P "${copy}/cmake/CheckLayering.cmake"
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${rc} "${result}" PARENT_SCOPE)
  set(${output} "${out}${err}" PARENT_SCOPE)
endfunction()

check_copy(rc output)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the check fails on the unchanged copy:\n${output}")
endif()

# Each entry: file|line to add|the line the check must print for it. New files and one file
# that exists (an include added to the end of it).
set(plants
  "src/learn/Evaluation.cpp|#include \"cezanne/dist/Communicator.hpp\"|src/learn/Evaluation.cpp includes cezanne/dist/Communicator.hpp: learn may not depend on dist"
  "include/cezanne/learn/Planted.hpp|#include \"cezanne/train/Trainer.hpp\"|include/cezanne/learn/Planted.hpp includes cezanne/train/Trainer.hpp: learn may not depend on train"
  "src/dist/Planted.cpp|  #  include \"cezanne/autograd/Var.hpp\"|src/dist/Planted.cpp includes cezanne/autograd/Var.hpp: dist may not depend on autograd"
  "src/data/Planted.cpp|#include \"../nn/Planted.hpp\"|src/data/Planted.cpp includes ../nn/Planted.hpp: data may not depend on nn"
  "src/backend/cpu/Planted.cpp|#include \"cezanne/autograd/Node.hpp\"|src/backend/cpu/Planted.cpp includes cezanne/autograd/Node.hpp: backend may not depend on autograd"
  "src/train/Planted.cpp|#include \"../data/Sha256.hpp\"|src/train/Planted.cpp includes ../data/Sha256.hpp: train may not include a private header of data"
  "src/cli/Planted.cpp|#include <mpi.h>|src/cli/Planted.cpp includes <mpi.h>: only src/dist/backend/ may include it"
  "src/dist/Planted.hpp|#include <mpi.h>|src/dist/Planted.hpp includes <mpi.h>: only src/dist/backend/ may include it"
  "src/train/Planted.hpp|#include <hdf5.h>|src/train/Planted.hpp includes <hdf5.h>: only include/cezanne/data/H5.hpp may include it"
  "src/tensor/Planted.cpp|#include <cuda_runtime.h>|src/tensor/Planted.cpp includes <cuda_runtime.h>: only src/backend/cuda/ or src/dist/backend/nccl/ may include it")
foreach(plant IN LISTS plants)
  string(REPLACE "|" ";" fields "${plant}")
  list(GET fields 0 file)
  list(GET fields 1 line)
  file(APPEND "${copy}/${file}" "\n${line}\n")
endforeach()

check_copy(rc output)
if(rc EQUAL 0)
  message(FATAL_ERROR "the check passes with forbidden includes planted:\n${output}")
endif()
string(REGEX MATCHALL "[^\n]* includes [^\n]*" printed "${output}")
set(failures "")
foreach(plant IN LISTS plants)
  string(REPLACE "|" ";" fields "${plant}")
  list(GET fields 2 expected)
  list(FIND printed "${expected}" at)
  if(at EQUAL -1)
    string(APPEND failures "not reported: ${expected}\n")
  endif()
endforeach()
list(LENGTH plants planted)
list(LENGTH printed reported)
if(NOT reported EQUAL planted)
  string(APPEND failures "${planted} includes planted, ${reported} reported\n")
endif()
if(failures)
  message(FATAL_ERROR "${failures}the check printed:\n${output}")
endif()
file(REMOVE_RECURSE "${copy}")
message(STATUS "the check passed the copy and reported each of ${planted} planted includes")
