# CezanneLayers.cmake — the module order of design.md §1 as one table, read by CMakeLists.txt
# (each module's library links the modules listed for it) and by cmake/CheckLayering.cmake
# (each #include must stay inside it). docs/layering.md explains it.

# Modules from the bottom up. Each builds into the library cezanne_<module>, except `backend`,
# the implementation of tensor's op dispatch, which builds into cezanne_tensor with it, and
# `cli`, the `cezanne` executable.
set(CEZANNE_LAYERS util tensor backend autograd nn optim data dist learn train cli)
set(CEZANNE_TARGET_backend tensor)

# CEZANNE_LAYER_<module>: the modules <module> may include and link, besides itself; only their
# public headers (include/cezanne/<module>/), never their src/ folders.
set(CEZANNE_LAYER_util "")
set(CEZANNE_LAYER_tensor backend util)
set(CEZANNE_LAYER_backend tensor util)
set(CEZANNE_LAYER_autograd tensor backend util)
set(CEZANNE_LAYER_nn autograd tensor backend util)
set(CEZANNE_LAYER_optim nn autograd tensor backend util)
set(CEZANNE_LAYER_data tensor backend util)
set(CEZANNE_LAYER_dist tensor backend util)
set(CEZANNE_LAYER_learn data optim nn autograd tensor backend util)
set(CEZANNE_LAYER_train learn dist data optim nn autograd tensor backend util)
set(CEZANNE_LAYER_cli train learn dist data optim nn autograd tensor backend util)

# Third-party headers only some files may include: for each group, a regex of the header name
# and the paths (a folder ending in "/" or one file, relative to the source root) allowed.
set(CEZANNE_RESTRICTED_HEADERS mpi nccl hdf5 cuda)
set(CEZANNE_RESTRICTED_mpi_REGEX "^mpi\\.h$")
set(CEZANNE_RESTRICTED_mpi_IN src/dist/backend/)
set(CEZANNE_RESTRICTED_nccl_REGEX "^nccl\\.h$")
set(CEZANNE_RESTRICTED_nccl_IN src/dist/backend/nccl/)
set(CEZANNE_RESTRICTED_hdf5_REGEX "^(hdf5|H5[A-Za-z0-9_]*)\\.h$")
set(CEZANNE_RESTRICTED_hdf5_IN include/cezanne/data/H5.hpp)
set(CEZANNE_RESTRICTED_cuda_REGEX "^(cuda|cublas|cudnn|curand|cusparse|cufft|nvrtc)[A-Za-z0-9_]*\\.h$")
set(CEZANNE_RESTRICTED_cuda_IN src/backend/cuda/ src/dist/backend/nccl/)

# The files the check reads (relative to the source root).
set(CEZANNE_LAYERING_GLOBS
  src/*.cpp src/*.hpp src/*.h src/*.cu src/*.cuh
  include/cezanne/*.hpp include/cezanne/*.h include/cezanne/*.cuh include/cezanne/*.in)
