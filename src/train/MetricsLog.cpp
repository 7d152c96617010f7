// Per-step metrics files, truncated to the resumed step when a run continues.
#include "cezanne/train/MetricsLog.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cz::train {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw std::runtime_error(path.string() + ": " + what + ": " + std::strerror(errno));
}

// The step of a metrics line: the first CSV field, or the value of "step" in a JSON line.
int64_t step_of(const std::string& line, bool json) {
  const size_t at = json ? line.find("\"step\":") : 0;
  if (at == std::string::npos) return -1;
  try {
    return std::stoll(line.substr(json ? at + 7 : 0));
  } catch (const std::logic_error&) {
    return -1;
  }
}

// Keeps the rows of steps <= resume_step (and the CSV header); returns the kept lines.
std::vector<std::string> kept_lines(const fs::path& path, int64_t resume_step, bool json) {
  std::vector<std::string> kept;
  std::ifstream in(path);
  if (!in) return kept;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    const bool header = !json && first;
    first = false;
    if (header || (step_of(line, json) >= 1 && step_of(line, json) <= resume_step))
      kept.push_back(line);
  }
  return kept;
}

// Writes `lines` to path through a temporary and a rename, then opens it for appending.
std::FILE* rewrite(const fs::path& path, const std::vector<std::string>& lines) {
  const fs::path tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) fail(tmp, "cannot write");
  for (const std::string& line : lines) std::fprintf(f, "%s\n", line.c_str());
  if (std::fflush(f) != 0 || std::fclose(f) != 0) {
    const int error = errno;
    std::error_code ignored;
    fs::remove(tmp, ignored);  // a full disk leaves the old file as it was, and no temporary
    errno = error;
    fail(tmp, "cannot write");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(path.string() + ": cannot replace: " + ec.message());
  std::FILE* out = std::fopen(path.c_str(), "a");
  if (out == nullptr) fail(path, "cannot append");
  return out;
}

std::string optional_field(const std::optional<double>& v) {
  return v ? std::to_string(*v) : std::string();
}

}  // namespace

MetricsLog::MetricsLog(const fs::path& dir, int64_t resume_step)
    : csv_path_(dir / "metrics.csv"), jsonl_path_(dir / "metrics.jsonl") {
  std::vector<std::string> csv{kMetricsHeader}, jsonl;
  if (resume_step > 0) {
    csv = kept_lines(csv_path_, resume_step, false);
    if (csv.empty()) csv.push_back(kMetricsHeader);
    jsonl = kept_lines(jsonl_path_, resume_step, true);
    if (csv.size() > 1) {
      const std::string& last = csv.back();
      resumed_seconds_ = std::stod(last.substr(last.rfind(',') + 1));
    }
  }
  csv_ = rewrite(csv_path_, csv);
  jsonl_ = rewrite(jsonl_path_, jsonl);
}

MetricsLog::~MetricsLog() {
  if (csv_ != nullptr) std::fclose(csv_);
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

void MetricsLog::append(const StepRecord& r) {
  std::fprintf(csv_, "%lld,%.6g,%s,%s,%s,%.4g,%.3f\n", static_cast<long long>(r.step), r.loss,
               optional_field(r.train_accuracy).c_str(), optional_field(r.val_accuracy).c_str(),
               optional_field(r.val_ci95).c_str(), r.tasks_per_s, r.seconds);
  std::fprintf(jsonl_, "{\"step\":%lld,\"loss\":%.6g", static_cast<long long>(r.step), r.loss);
  if (r.train_accuracy) std::fprintf(jsonl_, ",\"train_accuracy\":%.6g", *r.train_accuracy);
  if (r.val_accuracy) std::fprintf(jsonl_, ",\"val_accuracy\":%.6g", *r.val_accuracy);
  if (r.val_ci95) std::fprintf(jsonl_, ",\"val_ci95\":%.6g", *r.val_ci95);
  std::fprintf(jsonl_, ",\"tasks_per_s\":%.4g,\"seconds\":%.3f}\n", r.tasks_per_s, r.seconds);
  if (std::fflush(csv_) != 0) fail(csv_path_, "cannot write");
  if (std::fflush(jsonl_) != 0) fail(jsonl_path_, "cannot write");
}

}  // namespace cz::train
