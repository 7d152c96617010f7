// InfoCommand.cpp — `cezanne info`: versions of cezanne and every library it was built with.
//
// `cezanne info [--version]` prints one line per component, "<component> <version> (...)",
// so scripts and bug reports can grep them. `cezanne info STORE [--json] [--no-verify]` describes a store.
#include <iostream>
#include <optional>
#include <string>

#include "cezanne/BuildInfo.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/data/H5.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/data/StoreInfo.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cli/Command.hpp"

namespace po = boost::program_options;

namespace cz::cli {
namespace {

std::string first_line(std::string text) {
  const auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return text;
}

std::string cuda_line() {
  if (!build_info::kWithCuda) return "CUDA off";
  std::string line = std::string("CUDA ") + build_info::kCudaVersion;
  const int driver = cuda::driver_version();
  const int devices = cuda::device_count();
  line += " (driver ";
  line += driver == 0 ? std::string("none")
                      : std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10);
  line += ", " + std::to_string(devices) + (devices == 1 ? " device" : " devices");
  for (int d = 0; d < devices; ++d) line += (d == 0 ? ": " : ", ") + cuda::device_name(d);
  return line + ")";
}

std::string mpi_line() {
  const std::string version = dist::mpi_library_version();
  return version.empty() ? "MPI unknown" : "MPI " + first_line(version);
}

std::string hdf5_line() {
  const std::string version = data::h5::library_version();
  return version.empty() ? "HDF5 unknown" : "HDF5 " + version;
}

void print_versions(std::ostream& out) {
  out << "cezanne " << build_info::kVersion << " (git " << build_info::kGitDescribe << ", "
      << build_info::kBuildType << ", " << build_info::kCompiler << ")\n";
  out << "BLAS " << build_info::kBlasName;
  if (const std::string config = blas_config(); !config.empty()) out << " (" << first_line(config) << ")";
  out << "\n";
  out << cuda_line() << "\n";
  out << "NCCL " << build_info::kNcclVersion << "\n";
  out << mpi_line() << "\n";
  out << hdf5_line() << "\n";
}

// `info STORE`: counts per split, shape, bytes, shards, and (unless --no-verify) every
// dataset read back so each Fletcher32 checksum is checked. Exit 1 on a bad store.
int describe_store(const std::string& dir, bool json, bool verify) {
  std::optional<data::StoreSummary> summary;
  const data::VerifyResult result = data::inspect_store(dir, summary, verify);
  if (json) {
    std::cout << data::summary_json(summary, &result) << std::endl;
    return result.ok ? 0 : 1;
  }
  if (!summary) throw data::StoreError(result.error);  // not a store: one line, exit 1
  std::cout << data::format_summary(*summary, &result);
  if (!result.ok) {
    std::cerr << "cezanne info: error: " << result.error << std::endl;
    return 1;
  }
  return 0;
}

int run_info(int argc, char** argv) {
  po::options_description options("info options");
  options.add_options()
      ("version", "print the versions of cezanne and of the libraries it uses")
      ("store", po::value<std::string>()->value_name("STORE"), "a store directory to describe")
      ("json", "with STORE: print one JSON object")
      ("no-verify", "with STORE: skip reading every dataset to verify its checksum");
  po::positional_options_description positional;
  positional.add("store", 1);
  po::variables_map vm;
  if (!parse_options(argc, argv, "info", options, &positional, vm)) return 0;

  if (vm.count("store") != 0) return describe_store(vm["store"].as<std::string>(), vm.count("json") != 0,
                                                   vm.count("no-verify") == 0);
  print_versions(std::cout);
  return 0;
}

const CommandRegistrar kInfo("info", "versions of cezanne and its libraries; describe a store",
                             run_info);

}  // namespace
}  // namespace cz::cli
