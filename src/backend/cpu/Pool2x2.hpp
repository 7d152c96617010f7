// The CPU 2x2, stride-2 max-pool of one plane, shared by max_pool2d and the fused batch norm +
// max-pool: the values pooled are load(x) of the plane's elements.
#pragma once

#include <cstdint>
#include <limits>

namespace cz::cpu {

// The running choice of a window: the first maximum of its elements, or its first NaN.
template <class T>
struct WindowMax {
  T best = -std::numeric_limits<T>::infinity();
  int64_t index = -1;
  // Returns true once a NaN is found (nothing later can replace it).
  bool take(T v, int64_t i) {
    if (v != v) {
      best = v;
      index = i;
      return true;
    }
    if (index < 0 || v > best) {
      best = v;
      index = i;
    }
    return false;
  }
};

// One output row (rows `row` and `row + W` of the plane; `base` is the index of row[0] in the
// plane). Written without branches so that it vectorizes: the selects keep the first maximum, as
// WindowMax does. Returns false, leaving the row to WindowMax, when a window holds a NaN (or +inf
// and -inf), where the first NaN must win.
template <class T, class Load>
bool pool_row_2x2(const T* __restrict row, int W, int Wo, int64_t base, int64_t* __restrict out_i,
                  T* __restrict out_v, Load load) {
  int nan = 0;
  for (int ow = 0; ow < Wo; ++ow) {
    const T a = load(row[2 * ow]), b = load(row[2 * ow + 1]), c = load(row[W + 2 * ow]),
            d = load(row[W + 2 * ow + 1]);
    T best = a;
    int k = 0;
    if (b > best) k = 1, best = b;
    if (c > best) k = W, best = c;
    if (d > best) k = W + 1, best = d;
    const T sum = (a + b) + (c + d);
    nan |= sum != sum;
    out_i[ow] = base + (2 * ow + k);
    out_v[ow] = best;
  }
  return !nan;
}

// The plane [H, W] pooled into [H / 2, W / 2] (a last odd row or column is dropped): each
// window's first maximum of load(x), or its first NaN, and its index in the plane.
template <class T, class Load>
void pool_plane_2x2(const T* plane, int64_t H, int64_t W, int64_t* out_i, T* out_v, Load load) {
  const int64_t Ho = H / 2, Wo = W / 2;
  for (int64_t oh = 0; oh < Ho; ++oh) {
    const int64_t top = 2 * oh * W;
    if (pool_row_2x2(plane + top, static_cast<int>(W), static_cast<int>(Wo), top, out_i + oh * Wo,
                     out_v + oh * Wo, load))
      continue;
    for (int64_t ow = 0; ow < Wo; ++ow) {
      WindowMax<T> m;
      const int64_t corner = top + 2 * ow;
      for (int64_t i : {corner, corner + 1, corner + W, corner + W + 1})
        if (m.take(load(plane[i]), i)) break;
      out_i[oh * Wo + ow] = m.index;
      out_v[oh * Wo + ow] = m.best;
    }
  }
}

}  // namespace cz::cpu
