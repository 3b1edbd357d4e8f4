"""Small HTTP clients for the example, standard library only (urllib): tagfusion's GraphQL API,
its feature export, and MLflow's REST API as the `mlflow` Python client calls it.

Every request sends `Authorization: Bearer $MLFLOW_TRACKING_TOKEN` when that variable is set,
exactly as the mlflow client does; tagfusion takes the same token on all of its routes.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from array import array


class ApiError(Exception):
    """An answer other than 2xx, with the server's error code when it sent one."""

    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class Server:
    def __init__(self, uri=None, token=None):
        self.uri = (uri or os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:4000")).rstrip("/")
        self.token = token if token is not None else os.environ.get("MLFLOW_TRACKING_TOKEN")

    def request(self, method, path, body=None, query=None, content_type="application/json"):
        """The answer's body (bytes) of one request; a JSON body is encoded when given a dict."""
        url = self.uri + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        headers = {"Content-Type": content_type} if data is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as res:
                return res.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {}
            # MLflow's errors are {"error_code", "message"}; tagfusion's plain routes {"error": {"code", "message"}}.
            inner = payload.get("error", payload) if isinstance(payload, dict) else {}
            code = inner.get("error_code") or inner.get("code") or "HTTP_ERROR"
            raise ApiError(err.code, code, inner.get("message") or raw[:200].decode(errors="replace")) from None

    # --- tagfusion -------------------------------------------------------------------------

    def graphql(self, query, **variables):
        out = json.loads(self.request("POST", "/graphql", {"query": query, "variables": variables}))
        if out.get("errors"):
            first = out["errors"][0]
            raise ApiError(200, first.get("extensions", {}).get("code", "GRAPHQL"), first["message"])
        return out["data"]

    def wait_for_job(self, job_id, timeout=300):
        """Polls a job until it has finished; returns it, or raises with the job's error."""
        deadline = time.time() + timeout
        while True:
            job = self.graphql("query($id: ID!) { job(id: $id) { status error result } }", id=job_id)["job"]
            if job["status"] == "SUCCEEDED":
                return job
            if job["status"] in ("FAILED", "CANCELLED"):
                raise RuntimeError(f"job {job_id} {job['status']}: {job['error']}")
            if time.time() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout} s")
            time.sleep(0.3)

    def features(self, dataset_id, encoder_run, modality="text"):
        """GET /datasets/<id>/features: (header, values), values row-major float32 [count x dim]."""
        body = self.request("GET", f"/datasets/{dataset_id}/features", query={"encoderRun": encoder_run, "modality": modality})
        end = body.index(b"\n")
        header = json.loads(body[:end])
        values = array("f")
        values.frombytes(body[end + 1:])
        if sys.byteorder != header["byteOrder"]:
            values.byteswap()
        if values.itemsize != 4 or len(values) != header["count"] * header["dim"]:
            raise RuntimeError("the feature matrix does not have the header's shape")
        return header, values


class Mlflow:
    """The MLflow REST calls of the mlflow client's fluent API, with the bodies it sends."""

    def __init__(self, server):
        self.server = server

    def call(self, method, endpoint, body=None, query=None):
        return json.loads(self.server.request(method, "/api/2.0/mlflow/" + endpoint, body, query) or b"{}")

    def set_experiment(self, name):
        """mlflow.set_experiment: get-by-name, else create."""
        try:
            return self.call("GET", "experiments/get-by-name", query={"experiment_name": name})["experiment"]["experiment_id"]
        except ApiError as err:
            if err.code != "RESOURCE_DOES_NOT_EXIST":
                raise
        return self.call("POST", "experiments/create", {"name": name})["experiment_id"]

    def start_run(self, experiment_id, run_name):
        """mlflow.start_run(run_name=...): runs/create with the tags the client sets."""
        tags = {"mlflow.runName": run_name, "mlflow.source.name": os.path.basename(__file__), "mlflow.source.type": "LOCAL"}
        body = {"experiment_id": experiment_id, "start_time": now_ms(), "run_name": run_name, "tags": [{"key": k, "value": v} for k, v in tags.items()]}
        return self.call("POST", "runs/create", body)["run"]["info"]

    def log_params(self, run_id, params):
        """mlflow.log_params: one runs/log-batch of params."""
        body = {"run_id": run_id, "metrics": [], "params": [{"key": k, "value": str(v)} for k, v in params.items()], "tags": []}
        self.call("POST", "runs/log-batch", body)

    def log_metric(self, run_id, key, value, step):
        """mlflow.log_metric(key, value, step=step)."""
        body = {"run_uuid": run_id, "run_id": run_id, "key": key, "value": value, "timestamp": now_ms(), "step": step}
        self.call("POST", "runs/log-metric", body)

    def log_artifact(self, artifact_uri, local_path, artifact_path):
        """mlflow.log_artifact: a PUT to the artifact proxy under the run's artifact_uri."""
        # The client maps mlflow-artifacts:/<path> onto <tracking uri>/api/2.0/mlflow-artifacts/artifacts/<path>.
        base = artifact_uri.replace("mlflow-artifacts:", "/api/2.0/mlflow-artifacts/artifacts", 1)
        path = "/".join(urllib.parse.quote(p) for p in (artifact_path, os.path.basename(local_path)))
        with open(local_path, "rb") as f:
            self.server.request("PUT", f"{base}/{path}", f.read(), content_type="application/octet-stream")

    def end_run(self, run_id, status="FINISHED"):
        self.call("POST", "runs/update", {"run_uuid": run_id, "run_id": run_id, "status": status, "end_time": now_ms()})

    def register_model(self, source, name, run_id):
        """mlflow.register_model: create the model (an existing one is fine), then a version."""
        try:
            self.call("POST", "registered-models/create", {"name": name})
        except ApiError as err:
            if err.code != "RESOURCE_ALREADY_EXISTS":
                raise
        version = self.call("POST", "model-versions/create", {"name": name, "source": source, "run_id": run_id})["model_version"]
        # The client waits until the version is READY (tagfusion's are at once).
        while version["status"] != "READY":
            time.sleep(0.2)
            version = self.call("GET", "model-versions/get", query={"name": name, "version": version["version"]})["model_version"]
        return version

    def set_registered_model_alias(self, name, alias, version):
        self.call("POST", "registered-models/alias", {"name": name, "alias": alias, "version": str(version)})


def now_ms():
    return int(time.time() * 1000)
