"""A small labelled caption dataset, the same on every run: captions name their labels' objects
among scene words, as image captions do. Label ids need not be 0..C-1; the model's outputs follow
the dataset's own label order, which tagfusion reports."""
import csv
import random

LABELS = {3: ("dog", "puppy"), 7: ("bicycle", "bike"), 12: ("person", "woman", "man"), 20: ("car", "taxi")}
NAMES = {3: "dog", 7: "bicycle", 12: "person", 20: "car"}
PLACES = ("street", "park", "beach", "garden", "market", "bridge")
VERBS = ("standing near", "next to", "in front of", "behind")


def write_dataset(path, n=400, seed=13):
    """Writes `n` records (ImageID,Labels,Caption) to `path`; one or two labels each."""
    rng = random.Random(seed)
    ids = sorted(LABELS)
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["ImageID", "Labels", "Caption"])
        for i in range(n):
            labels = sorted(rng.sample(ids, 2 if rng.random() < 0.35 else 1))
            words = [rng.choice(LABELS[label]) for label in labels]
            subject = f"a {words[0]} {rng.choice(VERBS)} a {words[1]}" if len(words) == 2 else f"a {words[0]}"
            out.writerow([f"{i:04d}.jpg", " ".join(map(str, labels)), f"A photo of {subject} in the {rng.choice(PLACES)}"])
