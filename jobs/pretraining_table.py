"""The table of jobs/pretraining-table.sh from its eval lines (accuracy mean and 95% interval)."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
rows = [("pixels", "nearest neighbour on pixels"), ("autoencoder", "autoencoder"), ("mae", "masked autoencoder (ViT)"),
        ("mae-long", "masked autoencoder (ViT), 2x the steps"),
        ("mae-xlong", "masked autoencoder (ViT), 4x the steps"),
        ("triplet", "triplet"), ("triplet-semi-hard", "triplet + semi-hard negatives"),
        ("nt_xent-local", "NT-Xent, local negatives"), ("nt_xent-global", "NT-Xent, global negatives"),
        ("moco", "MoCo"), ("cactus-protonet", "CACTUs-ProtoNets"), ("augmentation-protonet", "augmentation tasks (ProtoNets)"),
        ("protonet", "supervised ProtoNets (labels)")]
settings = ["5w1s", "5w1s-within", "5w5s", "5w5s-within"]


def cell(path):
    if not path.exists() or not path.read_text().strip():
        return "—"
    line = json.loads(path.read_text().strip().splitlines()[-1])
    return f"{100 * line['mean']:.2f} ± {100 * line['ci95']:.2f}"


print("| method | 5-way 1-shot | 5-way 1-shot, within | 5-way 5-shot | 5-way 5-shot, within |")
print("|---|---|---|---|---|")
for name, label in rows:
    print(f"| {label} | " + " | ".join(cell(out / f"{name}-{s}.json") for s in settings) + " |")
