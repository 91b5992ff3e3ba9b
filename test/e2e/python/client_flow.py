"""
Drives a Skiff API server with Debian's python3-kubernetes, as a new user would, and prints one JSON document
of what it saw for test/e2e/python-client.test.ts to assert on.

Usage: /usr/bin/python3 client_flow.py KUBECONFIG NAMESPACE
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def api_error(call):
    """Runs call and returns the refusal as {status, reason, message}, or None if it succeeded."""
    try:
        call()
    except ApiException as e:
        body = json.loads(e.body) if e.body else {}
        return {"status": e.status, "reason": body.get("reason"), "message": body.get("message")}
    return None


def raw_get(api, path, accept):
    """A GET with an explicit Accept header, read undecoded (_preload_content=False)."""
    resp = api.call_api(path, "GET", header_params={"Accept": accept}, auth_settings=["BearerToken"],
                        _preload_content=False, _return_http_data_only=True)
    return json.loads(resp.data)


def main():
    kubeconfig, ns = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    apps = client.AppsV1Api()
    out = {}

    out["namespaces"] = sorted(n.metadata.name for n in core.list_namespace().items)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))

    cm = core.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="settings", labels={"app": "py"}), data={"color": "blue"}))
    out["configmap"] = {"name": cm.metadata.name, "data": cm.data, "resourceVersion": cm.metadata.resource_version}

    dep = apps.create_namespaced_deployment(ns, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    })
    out["deployment"] = {"name": dep.metadata.name, "replicas": dep.spec.replicas,
                         "strategy": dep.spec.strategy.type if dep.spec.strategy else None}

    # A watch sends watch=True: it must stream events, the initial ADDED and then a live one.
    pod = lambda name: client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels={"app": "py"}),
                                    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]))
    core.create_namespaced_pod(ns, pod("before"))
    events = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_pod, namespace=ns, timeout_seconds=20):
        events.append([ev["type"], ev["object"].metadata.name])
        if ev["object"].metadata.name == "before" and ev["type"] == "ADDED":
            core.create_namespaced_pod(ns, pod("after"))
        if ev["object"].metadata.name == "after" and ev["type"] == "ADDED":
            w.stop()
    out["watchEvents"] = events
    out["watchResourceVersion"] = w.resource_version

    # Resume from the last resourceVersion seen: only what changed since arrives.
    core.patch_namespaced_pod("after", ns, {"metadata": {"labels": {"resumed": "yes"}}})
    resumed = []
    w2 = watch.Watch()
    for ev in w2.stream(core.list_namespaced_pod, namespace=ns, resource_version=w.resource_version, timeout_seconds=20):
        resumed.append([ev["type"], ev["object"].metadata.name, (ev["object"].metadata.labels or {}).get("resumed")])
        w2.stop()
    out["resumedEvents"] = resumed

    # Strategic merge patch (the client's default for a dict body) and JSON merge patch.
    patched = core.patch_namespaced_config_map("settings", ns, {"data": {"size": "large"}})
    out["strategicPatch"] = patched.data
    merged = core.api_client.call_api(
        "/api/v1/namespaces/{namespace}/configmaps/{name}", "PATCH", path_params={"namespace": ns, "name": "settings"},
        header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        body={"data": {"color": None, "shape": "round"}}, response_type="V1ConfigMap", auth_settings=["BearerToken"],
        _return_http_data_only=True)
    out["mergePatch"] = merged.data
    scaled = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 3}})
    out["deploymentPatch"] = scaled.spec.replicas

    # Server-side printing and metadata-only lists, read raw.
    table = raw_get(core.api_client, "/api/v1/namespaces/%s/pods" % ns, "application/json;as=Table;v=v1;g=meta.k8s.io")
    out["table"] = {"kind": table["kind"], "apiVersion": table["apiVersion"],
                    "columns": [c["name"] for c in table["columnDefinitions"]],
                    "rows": sorted(r["cells"][0] for r in table["rows"])}
    meta = raw_get(core.api_client, "/api/v1/namespaces/%s/pods" % ns,
                   "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")
    out["metadataList"] = {"kind": meta["kind"], "items": sorted((i["kind"], i["metadata"]["name"], "spec" in i) for i in meta["items"])}

    # Errors as the client raises them.
    out["notFound"] = api_error(lambda: core.read_namespaced_config_map("missing", ns))
    out["badDryRun"] = api_error(lambda: core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dry")), dry_run="true"))
    out["dryRun"] = core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dry")), dry_run="All").metadata.name
    out["dryRunStored"] = api_error(lambda: core.read_namespaced_config_map("dry", ns))

    # Deletes: propagationPolicy in the query (Foreground leaves the garbage collector's finalizer), then a body.
    apps.delete_namespaced_deployment("web", ns, propagation_policy="Foreground")
    gone = apps.read_namespaced_deployment("web", ns)
    out["foregroundDelete"] = {"finalizers": gone.metadata.finalizers, "deleting": gone.metadata.deletion_timestamp is not None}
    status = core.delete_namespaced_config_map("settings", ns, body=client.V1DeleteOptions(propagation_policy="Background"))
    out["bodyDelete"] = {"status": status.status, "kind": status.details.kind if status.details else None}
    out["badPolicy"] = api_error(lambda: core.delete_namespaced_pod("before", ns, propagation_policy="Sometimes"))
    deleted_pod = core.delete_namespaced_pod("before", ns, grace_period_seconds=0)
    out["podDelete"] = deleted_pod.metadata.name

    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
