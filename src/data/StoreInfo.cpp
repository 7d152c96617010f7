// `cezanne info STORE`: summaries, the human table and the JSON object.
#include "cezanne/data/StoreInfo.hpp"

#include <cstdio>
#include <sstream>

#include "cezanne/data/StoreError.hpp"

namespace cz::data {

namespace fs = std::filesystem;

StoreSummary summarize(const Store& store) {
  StoreSummary s;
  s.path = store.path().string();
  s.shape = store.shape();
  s.metadata = store.metadata();
  s.shards = store.shards();
  s.domains = static_cast<int64_t>(store.domains().size());
  s.classes = static_cast<int64_t>(store.classes().size());
  std::array<std::vector<bool>, kNumSplits> domain_seen;
  for (auto& seen : domain_seen) seen.assign(store.domains().size(), false);
  for (const ClassInfo& c : store.classes()) {
    auto& split = s.splits[static_cast<size_t>(c.split)];
    ++split.classes;
    split.examples += c.num_examples;
    s.examples += c.num_examples;
    auto& seen = domain_seen[static_cast<size_t>(c.split)];
    if (!seen[static_cast<size_t>(c.domain)]) {
      seen[static_cast<size_t>(c.domain)] = true;
      ++split.domains;
    }
  }
  s.example_bytes = s.examples * s.shape.height * s.shape.width * s.shape.channels;
  std::error_code ec;
  s.file_bytes = static_cast<int64_t>(fs::file_size(store.path() / "manifest.h5", ec));
  for (const ShardInfo& shard : s.shards) s.file_bytes += shard.bytes;
  return s;
}

VerifyResult inspect_store(const fs::path& dir, std::optional<StoreSummary>& summary, bool verify) {
  VerifyResult result;
  try {
    auto store = Store::open(dir, {.cache_bytes = 0});
    summary = summarize(*store);
    if (verify) {
      result.datasets = store->verify();
      result.verified = true;
    }
    result.ok = true;
  } catch (const StoreError& e) {
    result.error = e.what();
  }
  return result;
}

namespace {

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buffer;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

/// The first lines of Provenance::inputs, indented under "built from"; the rest counted.
std::string inputs_summary(const std::string& inputs) {
  if (inputs.empty()) return "";
  constexpr int kShown = 4;
  std::istringstream in(inputs);
  std::string out = "built from", item;
  int lines = 0;
  while (std::getline(in, item)) {
    if (++lines <= kShown) out += (lines == 1 ? " " : "\n           ") + item;
  }
  if (lines > kShown)
    out += "\n           ... " + std::to_string(lines - kShown) + " more (info --json: inputs)";
  return out + "\n";
}

}  // namespace

std::string format_summary(const StoreSummary& s, const VerifyResult* verify) {
  std::ostringstream out;
  char line[256];
  out << "store      " << s.path << "\n";
  out << "format     cezanne-store v" << s.metadata.format_version << ", split by "
      << (s.metadata.split_by.empty() ? "?" : s.metadata.split_by) << "\n";
  out << "source     " << s.metadata.provenance.source << "\n";
  out << "command    " << s.metadata.provenance.command << "\n";
  out << "created    " << s.metadata.created << " by cezanne " << s.metadata.provenance.code_version
      << "\n";
  out << "examples   uint8 [H, W, C] = [" << s.shape.height << ", " << s.shape.width << ", "
      << s.shape.channels << "]\n";
  const StoreMetadata& m = s.metadata;
  out << "sha256     " << (m.examples_sha256.empty() ? "not recorded" : m.examples_sha256)
      << " (the examples, in class order)\n";
  out << "store id   " << (m.store_id.empty() ? "not recorded" : m.store_id)
      << " (carried by every shard)\n";
  if (m.ink) {
    std::snprintf(line, sizeof line,
                  "ink        pixel mean %.3f, border mean %.3f (fractions of 255)\n",
                  m.ink->pixel_mean, m.ink->border_mean);
    out << line;
  }
  out << inputs_summary(m.provenance.inputs);
  out << "\n";
  std::snprintf(line, sizeof line, "%-8s %10s %10s %12s\n", "split", "domains", "classes",
                "examples");
  out << line;
  for (int k = 0; k < kNumSplits; ++k) {
    const SplitSummary& sp = s.splits[static_cast<size_t>(k)];
    std::snprintf(line, sizeof line, "%-8s %10lld %10lld %12lld\n",
                  split_name(static_cast<Split>(k)), static_cast<long long>(sp.domains),
                  static_cast<long long>(sp.classes), static_cast<long long>(sp.examples));
    out << line;
  }
  std::snprintf(line, sizeof line, "%-8s %10lld %10lld %12lld\n", "total",
                static_cast<long long>(s.domains), static_cast<long long>(s.classes),
                static_cast<long long>(s.examples));
  out << line << "\n";
  out << "bytes      " << human_bytes(s.example_bytes) << " of examples, "
      << human_bytes(s.file_bytes) << " on disk (compression "
      << (s.metadata.compression > 0 ? "gzip " + std::to_string(s.metadata.compression) : "off")
      << ")\n";
  out << "shards     " << s.shards.size();
  if (!s.shards.empty())
    out << " (" << s.shards.front().name << " .. " << s.shards.back().name << ")";
  out << "\n";
  if (verify != nullptr) {
    if (verify->ok && !verify->verified) {
      out << "checksums  not verified\n";
    } else if (verify->ok) {
      out << "checksums  OK (" << verify->datasets << " datasets read)\n";
    } else {
      out << "checksums  FAILED: " << verify->error << "\n";
    }
  }
  return out.str();
}

std::string summary_json(const std::optional<StoreSummary>& summary, const VerifyResult* verify) {
  std::ostringstream out;
  out << "{";
  bool first = true;
  auto key = [&](const char* name) {
    out << (first ? "" : ", ") << json_string(name) << ": ";
    first = false;
  };
  if (summary) {
    const StoreSummary& s = *summary;
    key("path");
    out << json_string(s.path);
    key("format_version");
    out << s.metadata.format_version;
    key("split_by");
    out << json_string(s.metadata.split_by);
    key("source");
    out << json_string(s.metadata.provenance.source);
    key("command");
    out << json_string(s.metadata.provenance.command);
    key("created");
    out << json_string(s.metadata.created);
    key("code_version");
    out << json_string(s.metadata.provenance.code_version);
    key("inputs");
    out << json_string(s.metadata.provenance.inputs);
    key("examples_sha256");
    out << json_string(s.metadata.examples_sha256);
    key("store_id");
    out << json_string(s.metadata.store_id);
    if (s.metadata.ink) {
      key("pixel_mean");
      out << s.metadata.ink->pixel_mean;
      key("border_mean");
      out << s.metadata.ink->border_mean;
    }
    key("shape");
    out << "[" << s.shape.height << ", " << s.shape.width << ", " << s.shape.channels << "]";
    key("dtype");
    out << "\"uint8\"";
    key("splits");
    out << "{";
    for (int k = 0; k < kNumSplits; ++k) {
      const SplitSummary& sp = s.splits[static_cast<size_t>(k)];
      out << (k ? ", " : "") << json_string(split_name(static_cast<Split>(k)))
          << ": {\"domains\": " << sp.domains << ", \"classes\": " << sp.classes
          << ", \"examples\": " << sp.examples << "}";
    }
    out << "}";
    key("domains");
    out << s.domains;
    key("classes");
    out << s.classes;
    key("examples");
    out << s.examples;
    key("example_bytes");
    out << s.example_bytes;
    key("file_bytes");
    out << s.file_bytes;
    key("compression");
    out << s.metadata.compression;
    key("shards");
    out << "[";
    for (size_t i = 0; i < s.shards.size(); ++i) {
      const ShardInfo& sh = s.shards[i];
      out << (i ? ", " : "") << "{\"name\": " << json_string(sh.name)
          << ", \"first_class\": " << sh.first_class << ", \"classes\": " << sh.num_classes
          << ", \"examples\": " << sh.num_examples << ", \"bytes\": " << sh.bytes << "}";
    }
    out << "]";
  }
  if (verify != nullptr) {
    key("ok");
    out << (verify->ok ? "true" : "false");
    key("verified");
    out << (verify->verified ? "true" : "false");
    if (verify->ok) {
      key("datasets_verified");
      out << verify->datasets;
    } else {
      key("error");
      out << json_string(verify->error);
    }
  }
  out << "}";
  return out.str();
}

}  // namespace cz::data
