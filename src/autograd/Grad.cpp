// The backward engine. Nodes run in decreasing creation order, which is a topological order
// of the graph (an op's node is always created after the nodes of its inputs); only nodes on
// a path to a requested input run.
#include "cezanne/autograd/Grad.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"

namespace cz {

namespace detail {
std::shared_ptr<Node> gradient_edge(const Var& v);
}

namespace {

struct Roots {
  std::vector<std::shared_ptr<Node>> nodes;
  std::vector<Var> seeds;
};

Roots make_roots(const char* api, const std::vector<Var>& outputs, const std::vector<Var>& grad_outputs) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    throw AutogradError(std::string(api) + ": " + std::to_string(grad_outputs.size()) + " grad_outputs for " +
                        std::to_string(outputs.size()) + " outputs");
  Roots roots;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Var& out = outputs[i];
    if (!out.defined()) throw AutogradError(std::string(api) + ": output " + std::to_string(i) + " is undefined");
    if (!out.requires_grad())
      throw AutogradError(std::string(api) + ": output " + std::to_string(i) + " " + shape_str(out.shape()) +
                          " does not require grad (no input of its graph requires grad, or it was computed "
                          "under no-grad)");
    Var seed;
    if (grad_outputs.empty() || !grad_outputs[i].defined()) {
      if (out.numel() != 1)
        throw AutogradError(std::string(api) + ": output " + std::to_string(i) + " of shape " +
                            shape_str(out.shape()) + " is not a scalar; pass a seed gradient of that shape");
      seed = Var(Tensor::ones(out.shape(), out.dtype(), out.device()));
    } else {
      seed = grad_outputs[i];
      if (seed.shape() != out.shape())
        throw AutogradError(std::string(api) + ": seed " + shape_str(seed.shape()) + " for output " +
                            std::to_string(i) + " of shape " + shape_str(out.shape()));
    }
    roots.nodes.push_back(detail::gradient_edge(out));
    roots.seeds.push_back(seed);
  }
  return roots;
}

// Runs the graph. `targets` (may be empty) are nodes whose total incoming gradient is
// captured; with `accumulate`, AccumulateGrad nodes run (backward()).
std::unordered_map<Node*, Var> run_backward(const Roots& roots, const std::unordered_set<Node*>& targets,
                                            bool accumulate, bool retain_graph, bool create_graph) {
  // Collect the graph.
  std::vector<Node*> nodes;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (const auto& r : roots.nodes)
    if (seen.insert(r.get()).second) stack.push_back(r.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    nodes.push_back(n);
    for (const auto& next : n->next)
      if (next && seen.insert(next.get()).second) stack.push_back(next.get());
  }
  // Decreasing sequence = consumers before producers; accumulators (sequence 0) last.
  std::sort(nodes.begin(), nodes.end(), [](Node* a, Node* b) { return a->sequence > b->sequence; });

  // A node is needed if it is a target, an accumulator we run, or leads to one.
  std::unordered_set<Node*> needed;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node* n = *it;
    bool need = targets.count(n) > 0 || (accumulate && dynamic_cast<AccumulateGrad*>(n) != nullptr);
    for (const auto& next : n->next)
      if (next && needed.count(next.get())) need = true;
    if (need) needed.insert(n);
  }

  GradModeGuard mode(create_graph);
  std::unordered_map<Node*, Var> buffer;
  auto add_to = [&](Node* n, const Var& g) {
    auto it = buffer.find(n);
    if (it == buffer.end()) {
      buffer.emplace(n, g);
    } else {
      it->second = it->second + g;
    }
  };
  for (size_t i = 0; i < roots.nodes.size(); ++i) add_to(roots.nodes[i].get(), roots.seeds[i]);

  // A leaf's accumulator settles (its gradient captured, or added to the leaf's grad()) right
  // after the last node that feeds it has run, not at the end of the pass: a leaf used only near
  // the outputs gets its final gradient early, and its accumulated hook (Var::
  // set_accumulated_hook) can start work on it while backward goes on. The buffer it settles
  // holds the same sum, added in the same order, as at the end. An accumulator nothing feeds (a
  // leaf passed as an output) settles in its place.
  std::unordered_map<Node*, size_t> last_feeder;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (needed.count(nodes[i]) && dynamic_cast<AccumulateGrad*>(nodes[i]) == nullptr)
      for (const auto& next : nodes[i]->next)
        if (next && needed.count(next.get()) && dynamic_cast<AccumulateGrad*>(next.get())) last_feeder[next.get()] = i;
  std::vector<std::vector<Node*>> settle_after(nodes.size());
  for (const auto& [acc, i] : last_feeder) settle_after[i].push_back(acc);

  std::unordered_map<Node*, Var> captured;
  auto settle = [&](Node* acc) {
    auto it = buffer.find(acc);
    if (it == buffer.end()) return;
    if (targets.count(acc)) captured.emplace(acc, it->second);
    if (accumulate) static_cast<AccumulateGrad*>(acc)->backward(it->second);
    buffer.erase(it);
  };
  auto run = [&](Node* n) {
    if (!needed.count(n)) return;
    auto it = buffer.find(n);
    if (it == buffer.end()) return;
    const Var grad = it->second;
    if (targets.count(n)) captured.emplace(n, grad);
    // A requested input's node only hands over its gradient; it runs (and frees its saved
    // tensors) only when something beyond it is needed too.
    bool leads_on = false;
    for (const auto& next : n->next)
      if (next && needed.count(next.get())) leads_on = true;
    if (!leads_on) {
      buffer.erase(n);
      return;
    }
    if (n->released())
      throw AutogradError(std::string("backward through a freed graph: op '") + n->name() +
                          "' already ran a backward that freed its saved tensors; pass retain_graph=true to the "
                          "first backward");
    const std::vector<Var> grads = n->backward(grad);
    for (size_t i = 0; i < n->next.size(); ++i) {
      Node* next = n->next[i].get();
      if (next && i < grads.size() && grads[i].defined() && needed.count(next)) add_to(next, grads[i]);
    }
    if (!retain_graph) n->release();
    buffer.erase(n);
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    Node* n = nodes[i];
    if (dynamic_cast<AccumulateGrad*>(n)) {
      if (!last_feeder.count(n) && needed.count(n)) settle(n);
      continue;
    }
    run(n);
    for (Node* acc : settle_after[i]) settle(acc);
  }
  return captured;
}

}  // namespace

std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Var>& grad_outputs, GradOptions options) {
  const Roots roots = make_roots("grad", outputs, grad_outputs);
  const bool retain = options.retain_graph.value_or(options.create_graph);
  std::vector<Node*> target_of(inputs.size(), nullptr);
  std::unordered_set<Node*> targets;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Var& in = inputs[i];
    if (!in.defined()) throw AutogradError("grad: input " + std::to_string(i) + " is undefined");
    if (!in.requires_grad())
      throw AutogradError("grad: input " + std::to_string(i) + " " + shape_str(in.shape()) +
                          " does not require grad");
    Node* t = in.grad_fn() ? in.grad_fn().get() : in.impl()->grad_accumulator.lock().get();
    target_of[i] = t;
    if (t) targets.insert(t);
  }
  std::unordered_map<Node*, Var> captured = run_backward(roots, targets, false, retain, options.create_graph);
  std::vector<Var> result(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto it = target_of[i] ? captured.find(target_of[i]) : captured.end();
    if (it == captured.end()) {
      if (!options.allow_unused)
        throw AutogradError("grad: input " + std::to_string(i) + " " + shape_str(inputs[i].shape()) +
                            " is not used by the outputs; pass allow_unused=true");
      continue;
    }
    result[i] = options.create_graph ? it->second : it->second.detach();
  }
  return result;
}

void backward(const std::vector<Var>& outputs, const std::vector<Var>& grad_outputs, bool retain_graph,
              bool create_graph) {
  const Roots roots = make_roots("backward", outputs, grad_outputs);
  run_backward(roots, {}, true, retain_graph || create_graph, create_graph);
}

}  // namespace cz
