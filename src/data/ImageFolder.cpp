// `prepare images`: walks ROOT in name order, decodes and resizes every PNG, writes the store.
#include "cezanne/data/ImageFolder.hpp"

#include <algorithm>
#include <cctype>

#include "cezanne/data/StoreError.hpp"

namespace cz::data {

namespace fs = std::filesystem;

ImageLayout parse_image_layout(const std::string& name) {
  if (name == "omniglot") return ImageLayout::omniglot;
  if (name == "flat") return ImageLayout::flat;
  throw StoreError("unknown image layout '" + name + "' (expected omniglot or flat)");
}

namespace {

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

std::vector<fs::path> sorted_dirs(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && !hidden(entry.path())) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> sorted_pngs(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (entry.is_regular_file() && ext == ".png" && !hidden(entry.path()))
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct ClassDir {
  int32_t domain;
  std::string name;
  std::vector<fs::path> files;
};

}  // namespace

ImportStats prepare_images(const fs::path& out, const ImageFolderOptions& options,
                           const Provenance& provenance, const StoreWriterOptions& writer_options) {
  const std::string root = options.root.string();
  std::error_code ec;
  if (!fs::is_directory(options.root, ec)) throw StoreError(root + ": not a directory");
  if (options.channels != 1 && options.channels != 3) throw StoreError("--channels must be 1 or 3");
  if (options.size < 0) throw StoreError("--size must be positive (or 0 to keep the image size)");

  // Discover domains and classes first so that splits are drawn before any pixel is decoded.
  std::vector<std::string> domains;
  std::vector<ClassDir> classes;
  auto add_classes = [&](const fs::path& dir, int32_t domain) {
    for (const fs::path& class_dir : sorted_dirs(dir)) {
      auto files = sorted_pngs(class_dir);
      if (!files.empty())
        classes.push_back({domain, class_dir.filename().string(), std::move(files)});
    }
  };
  try {
    if (options.layout == ImageLayout::flat) {
      const fs::path abs = fs::absolute(options.root).lexically_normal();
      domains.push_back(abs.filename().empty() ? abs.parent_path().filename().string()
                                               : abs.filename().string());
      add_classes(options.root, 0);
    } else {
      for (const fs::path& domain_dir : sorted_dirs(options.root)) {
        const auto before = classes.size();
        add_classes(domain_dir, static_cast<int32_t>(domains.size()));
        if (classes.size() > before) domains.push_back(domain_dir.filename().string());
      }
    }
  } catch (const fs::filesystem_error& e) {
    throw StoreError(root + ": cannot list: " + e.what());
  }
  if (classes.empty()) {
    throw StoreError(root + ": no class folders with PNG images (layout " +
                     (options.layout == ImageLayout::flat
                          ? "flat: ROOT/<class>/*.png"
                          : "omniglot: ROOT/<domain>/<class>/*.png") +
                     ")");
  }

  std::vector<Split> domain_splits(domains.size(), Split::train);
  std::vector<Split> class_splits;
  if (options.split_by == SplitBy::domain) {
    if (domains.size() < 2 && !whole_split(options.fractions) &&
        (options.fractions.val > 0 || options.fractions.test > 0)) {
      throw StoreError(root + ": --split-by domain needs several domains, found " +
                       std::to_string(domains.size()) + " (use --split-by class)");
    }
    domain_splits = assign_splits(static_cast<int64_t>(domains.size()), options.fractions);
  } else {
    class_splits = assign_splits(static_cast<int64_t>(classes.size()), options.fractions);
  }

  // The shape comes from the options or the first image.
  ImageShape shape{options.size, options.size, options.channels};
  if (options.size == 0) {
    const Image first = read_png(classes[0].files[0], options.channels);
    shape = {first.height, first.width, options.channels};
  }
  const int64_t example_bytes = shape.height * shape.width * shape.channels;

  StoreWriter writer(out, shape, provenance, writer_options);
  for (size_t d = 0; d < domains.size(); ++d) writer.add_domain(domains[d], domain_splits[d]);
  ImportStats stats{static_cast<int64_t>(domains.size()), 0, 0};
  std::vector<uint8_t> buffer;
  for (size_t c = 0; c < classes.size(); ++c) {
    const ClassDir& cls = classes[c];
    buffer.resize(cls.files.size() * static_cast<size_t>(example_bytes));
    for (size_t k = 0; k < cls.files.size(); ++k) {
      Image image = read_png(cls.files[k], options.channels);
      if (options.size == 0 && (image.height != shape.height || image.width != shape.width)) {
        throw StoreError(cls.files[k].string() + ": image is " + std::to_string(image.height) +
                         "x" + std::to_string(image.width) + ", the first was " +
                         std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                         " (give --size to resize)");
      }
      image = resize_image(image, shape.height, shape.width, options.filter);
      uint8_t* dst = buffer.data() + k * static_cast<size_t>(example_bytes);
      std::copy(image.pixels.begin(), image.pixels.end(), dst);
      if (options.invert) {
        for (int64_t i = 0; i < example_bytes; ++i) dst[i] = static_cast<uint8_t>(255 - dst[i]);
      }
    }
    std::optional<Split> split;
    if (options.split_by == SplitBy::class_) split = class_splits[c];
    writer.add_class(cls.domain, cls.name, buffer.data(), static_cast<int64_t>(cls.files.size()),
                     split);
    ++stats.classes;
    stats.examples += static_cast<int64_t>(cls.files.size());
  }
  writer.finish();
  return stats;
}

}  // namespace cz::data
