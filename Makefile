# Set-up on a fresh machine: `make demo` or `make test` (installs packages, builds, runs).
# Everything real lives in CMakeLists.txt; this file only strings the steps together.
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps configure build test demo clean

all: build

deps:
	bash cmake/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

demo: build
	CEZANNE_BUILD_DIR=$(BUILD_DIR) bash jobs/demo.sh

clean:
	rm -rf $(BUILD_DIR)
