#!/usr/bin/env python3
"""Trains a linear head in PyTorch on features exported from tagfusion, tracks it through
tagfusion's MLflow REST API, registers its ONNX export, and checks that tagfusion serves it
exactly as PyTorch computes it. See README.md beside this file.

    MLFLOW_TRACKING_URI=http://127.0.0.1:4000 MLFLOW_TRACKING_TOKEN=tf_... python3 train.py
"""
import json
import os
import sys
import time
from pathlib import Path

import torch

from client import Mlflow, Server
from dataset import NAMES, write_dataset

HERE = Path(__file__).resolve().parent
MODEL = os.environ.get("EXAMPLE_MODEL_NAME", "pytorch-captions")
HYPER = {"seed": 0, "epochs": 12, "batch_size": 32, "learning_rate": 0.05, "threshold": 0.5}
TOLERANCE = 1e-4

IMPORT = "mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }"
TRAIN = "mutation($input: TrainingInput!) { startTraining(input: $input) { id } }"
RUN = "query($id: ID!) { run(id: $id) { status error } }"
PREDICT = "mutation($model: String!, $datasetId: ID!) { predictDataset(model: $model, datasetId: $datasetId, split: VAL) { id job { id } } }"
RESULTS = """query($id: ID!, $offset: Int!) { predictionSet(id: $id) {
  classIds metrics predictions(first: 500, offset: $offset) { imageId labels probabilities } } }"""


def step(message):
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def import_dataset(server):
    """1. Writes the caption CSV beside this script and imports it through GraphQL."""
    folder = HERE / "data"
    folder.mkdir(exist_ok=True)
    write_dataset(folder / "captions.csv")
    names = [{"id": i, "name": n} for i, n in NAMES.items()]
    job = server.graphql(IMPORT, input={"name": "pytorch-example-captions", "csvPath": str(folder / "captions.csv"), "valFraction": 0.2, "labelNames": names})
    return server.wait_for_job(job["importDataset"]["id"])["result"]["datasetId"]


def fit_encoder(server, dataset_id):
    """2. A tagfusion training run with the tfidf text encoder: it fits the vocabulary (on the
    training split) and caches every sample's features. Its id is the model card's encoderRunId."""
    run_id = server.graphql(TRAIN, input={"datasetId": dataset_id, "head": "TEXT", "name": "tfidf encoder", "textEncoder": {"id": "tfidf"}, "epochs": 1, "seed": 1})["startTraining"]["id"]
    while (run := server.graphql(RUN, id=run_id)["run"])["status"] in ("QUEUED", "RUNNING"):
        time.sleep(0.3)
    if run["status"] != "SUCCEEDED":
        raise RuntimeError(f"the tfidf run {run_id} {run['status']}: {run['error']}")
    return run_id


def assign(probs, threshold):
    """The card's label policy: each probability above the threshold, else the best label."""
    out = (probs > threshold).float()
    none = out.sum(dim=1) == 0
    out[none, probs[none].argmax(dim=1)] = 1
    return out


def micro_f1(predicted, truth):
    tp = (predicted * truth).sum().item()
    return 2 * tp / max(1.0, predicted.sum().item() + truth.sum().item())


def train_head(mlflow, experiment_id, x, y, train_rows, val_rows):
    """3. A linear head on the training split, logging params and per-step metrics as mlflow does."""
    run = mlflow.start_run(experiment_id, "linear head on tfidf")
    run_id = run["run_id"]
    try:
        mlflow.log_params(run_id, {**HYPER, "features": x.shape[1], "labels": y.shape[1], "train_samples": len(train_rows)})
        torch.manual_seed(HYPER["seed"])
        shuffle = torch.Generator().manual_seed(HYPER["seed"])
        head = torch.nn.Linear(x.shape[1], y.shape[1])
        optimizer = torch.optim.Adam(head.parameters(), lr=HYPER["learning_rate"])
        loss_of = torch.nn.BCEWithLogitsLoss()
        global_step = 0
        for epoch in range(HYPER["epochs"]):
            head.train()
            order = train_rows[torch.randperm(len(train_rows), generator=shuffle)]
            for start in range(0, len(order), HYPER["batch_size"]):
                batch = order[start:start + HYPER["batch_size"]]
                optimizer.zero_grad()
                loss = loss_of(head(x[batch]), y[batch])
                loss.backward()
                optimizer.step()
                mlflow.log_metric(run_id, "train/loss", loss.item(), global_step)
                global_step += 1
            head.eval()
            with torch.no_grad():
                f1 = micro_f1(assign(torch.sigmoid(head(x[val_rows])), HYPER["threshold"]), y[val_rows])
            mlflow.log_metric(run_id, "val/micro_f1", f1, epoch)
            step(f"epoch {epoch + 1}: train loss {loss.item():.4f}, val micro-F1 {f1:.4f}")
        return head, run
    except BaseException:
        mlflow.end_run(run_id, "FAILED")
        raise


def publish(mlflow, run, head, dim, header, encoder_run):
    """4. ONNX export and model card, uploaded under model/; registered; alias champion."""
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    torch.onnx.export(head, torch.zeros(1, dim), out / "model.onnx", input_names=["features"], output_names=["logits"],
                      dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    card = {
        "format": "onnx",
        "model": "model.onnx",
        "inputs": [{"name": "features", "kind": "features", "encoder": "tfidf", "encoderRunId": encoder_run}],
        "output": {"name": "logits", "kind": "logits", "labels": header["classIds"]},
        "labelPolicy": {"threshold": HYPER["threshold"], "atLeastOne": True},
        "datasetId": header["datasetId"],
    }
    (out / "model-card.json").write_text(json.dumps(card, indent=2))
    for name in ("model.onnx", "model-card.json"):
        mlflow.log_artifact(run["artifact_uri"], out / name, "model")
    mlflow.end_run(run["run_id"])
    version = mlflow.register_model(f"runs:/{run['run_id']}/model", MODEL, run["run_id"])
    mlflow.set_registered_model_alias(MODEL, "champion", version["version"])
    return version["version"]


def served_predictions(server, dataset_id):
    """5a. tagfusion's predictDataset with model@champion on the validation split."""
    queued = server.graphql(PREDICT, model=f"{MODEL}@champion", datasetId=dataset_id)["predictDataset"]
    server.wait_for_job(queued["job"]["id"])
    rows, offset = [], 0
    while True:
        page = server.graphql(RESULTS, id=queued["id"], offset=offset)["predictionSet"]
        rows += page["predictions"]
        if len(page["predictions"]) < 500:
            return page, rows
        offset += 500


def main():
    server = Server()
    mlflow = Mlflow(server)
    step(f"tagfusion at {server.uri}")
    dataset_id = import_dataset(server)
    step(f"1. imported dataset {dataset_id}")
    encoder_run = fit_encoder(server, dataset_id)
    step(f"2. tfidf encoder fitted by run {encoder_run}")
    header, values = server.features(dataset_id, encoder_run, "text")
    x = torch.tensor(values, dtype=torch.float32).reshape(header["count"], header["dim"])
    column = {label: j for j, label in enumerate(header["classIds"])}
    y = torch.zeros(header["count"], len(column))
    for i, labels in enumerate(header["rows"]["labels"]):
        y[i, [column[label] for label in labels]] = 1
    splits = header["rows"]["split"]
    train_rows = torch.tensor([i for i, s in enumerate(splits) if s == "TRAIN"])
    val_rows = torch.tensor([i for i, s in enumerate(splits) if s == "VAL"])
    step(f"   exported {header['count']} x {header['dim']} features ({len(train_rows)} train, {len(val_rows)} val)")

    experiment_id = mlflow.set_experiment("pytorch-example")
    head, run = train_head(mlflow, experiment_id, x, y, train_rows, val_rows)
    step(f"3. trained in MLflow run {run['run_id']} of experiment {experiment_id}")
    version = publish(mlflow, run, head, header["dim"], header, encoder_run)
    step(f"4. registered {MODEL} version {version} as {MODEL}@champion")

    page, served = served_predictions(server, dataset_id)
    with torch.no_grad():
        ours = torch.sigmoid(head(x[val_rows]))
    row_of = {image_id: i for i, image_id in enumerate(header["rows"]["imageId"])}
    position = {int(r): k for k, r in enumerate(val_rows)}
    theirs = torch.zeros_like(ours)
    their_labels = torch.zeros_like(ours)
    for p in served:
        k = position[row_of[p["imageId"]]]
        theirs[k] = torch.tensor(p["probabilities"])
        their_labels[k, [column[label] for label in p["labels"]]] = 1
    diff = (ours - theirs).abs().max().item() if served else float("inf")
    ok = page["classIds"] == header["classIds"] and len(served) == len(val_rows) and diff <= TOLERANCE
    step("5. tagfusion's predictions against PyTorch's")
    print(f"   samples compared       {len(served)} of {len(val_rows)} (validation split)")
    print(f"   max |p_tagfusion - p_pytorch|  {diff:.2e} (tolerance {TOLERANCE:.0e})")
    print(f"   micro-F1 PyTorch       {micro_f1(assign(ours, HYPER['threshold']), y[val_rows]):.4f}")
    print(f"   micro-F1 tagfusion     {micro_f1(their_labels, y[val_rows]):.4f} (its own metrics: {page['metrics']['microF1']:.4f})")
    print("OK: tagfusion serves the PyTorch model as PyTorch computes it" if ok else "FAILED: tagfusion's predictions differ from PyTorch's")
    return 0 if ok else 1


STARTED = time.monotonic()
if __name__ == "__main__":
    sys.exit(main())
