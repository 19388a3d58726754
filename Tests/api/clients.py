"""Real Engine API clients against swiftrun's service, one scenario per run.

EngineAPITests.swift runs `python clients.py SCENARIO` from the venv that
`make test` builds (docker-py and testcontainers from PyPI), with
DOCKER_HOST on the test's own socket. Each scenario asserts, and prints
"ok SCENARIO" only when every assertion held.
"""
import io
import json
import socket
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request

import docker

client = docker.DockerClient(**docker.utils.kwargs_from_env(), timeout=120)


def fetch(url):
    """The page, once the container's server listens. httpd binds its port
    after the container has started, so until it does, a refused or reset
    connection is tried again; 30 s without an answer fail the scenario."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return urllib.request.urlopen(url, timeout=10).read()
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def basics():
    assert client.ping() is True
    assert client.version()["ApiVersion"] == "1.41"
    assert client.api.api_version == "1.41"
    info = client.info()
    assert info["Images"] == 1 and info["Containers"] == 0, info
    tags = [tag for image in client.images.list() for tag in image.tags]
    assert tags == ["busybox:latest"], tags
    assert client.images.get("busybox").attrs["RepoTags"] == ["busybox:latest"]


def run():
    out = client.containers.run("busybox", ["sh", "-c", "echo hello; echo to-stderr >&2"], remove=True)
    assert out == b"hello\n", out
    try:
        client.containers.run("busybox", ["sh", "-c", "echo failed >&2; exit 3"], remove=True)
        raise AssertionError("no ContainerError")
    except docker.errors.ContainerError as error:
        assert error.exit_status == 3 and error.stderr == b"failed\n", (error.exit_status, error.stderr)
    # A bare name would be the service's own variable: it is not passed.
    leaked = client.containers.run("busybox", ["sh", "-c", "echo ${SWIFTRUN_BIN:-unset}"], environment=["SWIFTRUN_BIN"], remove=True)
    assert leaked == b"unset\n", leaked
    assert client.containers.list(all=True) == []


def lifecycle():
    container = client.containers.run(
        "busybox", ["sh", "-c", "echo started; exec sleep 300"], detach=True, name="sleeper", labels={"app": "api-test"},
        mem_limit="64m"
    )
    assert [c.id for c in client.containers.list(filters={"label": "app=api-test"})] == [container.id]
    assert [c.id for c in client.containers.list(filters={"name": "sleeper"})] == [container.id]
    assert client.containers.list(filters={"label": "app=other"}) == []
    container.reload()
    assert container.status == "running" and container.labels == {"app": "api-test"}, container.attrs["State"]
    assert container.attrs["HostConfig"]["LogConfig"]["Type"] == "json-file"
    top = container.top()
    assert top["Titles"][:2] == ["UID", "PID"] and any("sleep 300" in p[-1] for p in top["Processes"]), top
    stats = container.stats(stream=False)
    assert stats["pids_stats"]["current"] >= 1 and stats["memory_stats"]["limit"] == 64 << 20, stats
    # What Docker's CLI takes from the usage, under the key of the host's
    # cgroups (v2's, or v1's hierarchical one), as Docker names it.
    inactive = stats["memory_stats"]["stats"]
    assert len(inactive) == 1 and set(inactive) <= {"inactive_file", "total_inactive_file"}, stats
    # Its veth on the default bridge, and Docker's read and write entries.
    assert list(stats["networks"]) == ["eth0"] and stats["networks"]["eth0"]["tx_bytes"] >= 0, stats
    assert [e["op"] for e in stats["blkio_stats"]["io_service_bytes_recursive"]] == ["read", "write"], stats
    # Streamed: each sample carries the one before as precpu_stats.
    samples = container.stats(stream=True, decode=True)
    first, second = next(samples), next(samples)
    samples.close()
    assert first["precpu_stats"]["system_cpu_usage"] == 0, first
    assert second["precpu_stats"] == first["cpu_stats"] and second["preread"] == first["read"], (first, second)
    assert second["cpu_stats"]["system_cpu_usage"] > first["cpu_stats"]["system_cpu_usage"], (first, second)
    follow = container.logs(stream=True, follow=True)
    assert next(follow) == b"started\n"
    exit_code, output = container.exec_run(["sh", "-c", "echo in-exec; exit 4"])
    assert (exit_code, output) == (4, b"in-exec\n"), (exit_code, output)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 8
        tar.addfile(info, io.BytesIO(b"payload\n"))
    assert container.put_archive("/tmp", archive.getvalue()) is True
    assert container.exec_run(["cat", "/tmp/hello.txt"]) == (0, b"payload\n")
    stream, stat = container.get_archive("/tmp/hello.txt")
    assert stat["name"] == "hello.txt" and stat["size"] == 8, stat
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        assert tar.extractfile("hello.txt").read() == b"payload\n"
    try:
        container.get_archive("/no/such/file")
        raise AssertionError("no NotFound")
    except docker.errors.NotFound:
        pass
    # A symlink in the container to a host dir that holds a file (argv[2]):
    # the path resolves in the container's root, where there is none.
    host_dir = sys.argv[2]
    assert container.exec_run(["ln", "-s", host_dir, "/escape"])[0] == 0
    for path in ("/escape/secret", "/escape/."):
        try:
            container.get_archive(path)
            raise AssertionError(f"{path} reached the host")
        except docker.errors.NotFound:
            pass
    container.stop(timeout=1)
    assert container.wait()["StatusCode"] == 137
    assert list(follow) == [], "follow ends when the container does"
    container.reload()
    assert container.status == "exited"
    container.remove()
    try:
        client.containers.get("sleeper")
        raise AssertionError("the container is still there")
    except docker.errors.NotFound:
        pass


def errors():
    try:
        client.containers.get("no-such-container")
        raise AssertionError("no NotFound")
    except docker.errors.NotFound as error:
        assert "No such container: no-such-container" in str(error)
    try:
        client.containers.create("no-such-image")
        raise AssertionError("no ImageNotFound")
    except docker.errors.ImageNotFound:
        pass
    base = client.api.base_url
    response = client.api.post(base + "/v1.41/containers/create", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "message" in response.json(), (response.status_code, response.text)
    body = json.dumps({"Image": "busybox", "HostConfig": {"VolumeDriver": "flocker"}})
    response = client.api.post(base + "/v1.41/containers/create", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.status_code
    assert response.json()["message"] == "HostConfig.VolumeDriver is not supported by swiftrun", response.text
    client.containers.create("busybox", ["true"], name="taken")
    try:
        client.containers.create("busybox", ["true"], name="taken")
        raise AssertionError("no conflict")
    except docker.errors.APIError as error:
        assert error.status_code == 409, error
    # The service keeps serving after every one of these.
    assert client.ping() is True
    client.containers.get("taken").remove()


def ports():
    container = client.containers.run(
        "busybox",
        ["sh", "-c", "mkdir /www && echo served > /www/index.html && exec httpd -f -p 8080 -h /www"],
        detach=True,
        ports={"8080/tcp": None},
    )
    container.reload()
    port = container.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
    assert port.isdigit() and int(port) > 0, container.attrs["NetworkSettings"]
    assert fetch(f"http://127.0.0.1:{port}/") == b"served\n"
    container.remove(v=True, force=True)


def images():
    """Tag, save, remove, load, and pull from the test's registry (argv[2])."""
    registry = sys.argv[2]
    image = client.images.get("busybox")
    assert image.tag("copy", "v1") is True
    assert sorted(client.images.get("copy:v1").tags) == ["busybox:latest", "copy:v1"]
    archive = b"".join(image.save(named=True))
    assert archive[257:262] == b"ustar", archive[:300]
    client.images.remove("copy:v1")
    client.images.remove("busybox")
    assert client.images.list() == []
    loaded = client.images.load(archive)
    assert [i.tags for i in loaded] == [["busybox:latest"]], loaded
    # Docker's progress lines: the tag's "Pulling from", each layer's by id, the digest, the outcome.
    progress = list(client.api.pull(f"{registry}/test/busybox", tag="v1", stream=True, decode=True))
    assert progress[0] == {"status": "Pulling from test/busybox", "id": "v1"}, progress
    assert any(entry.get("id") and entry["status"] in ("Pull complete", "Already exists") for entry in progress), progress
    assert progress[-2]["status"].startswith("Digest: sha256:"), progress
    assert progress[-1] == {"status": f"Status: Downloaded newer image for {registry}/test/busybox:v1"}, progress
    pulled = client.images.pull(f"{registry}/test/busybox", tag="v1")
    assert pulled.tags == [f"{registry}/test/busybox:v1"], pulled.tags
    try:
        client.images.pull(f"{registry}/test/missing", tag="v1")
        raise AssertionError("a missing image was pulled")
    except docker.errors.APIError:
        pass
    try:
        client.images.remove("no-such-image")
        raise AssertionError("no ImageNotFound")
    except docker.errors.ImageNotFound:
        pass


def events():
    """create, start, die and destroy of one container, read as they happen."""
    stream = client.events(decode=True, filters={"type": "container"})
    try:
        client.containers.run("busybox", ["sh", "-c", "exit 2"], name="evented")
    except docker.errors.ContainerError:
        pass
    client.containers.get("evented").remove()
    seen = []
    for event in stream:
        if event["Actor"]["Attributes"].get("name") == "evented":
            seen.append((event["Action"], event["Actor"]["Attributes"].get("exitCode")))
        if seen and seen[-1][0] == "destroy":
            break
    stream.close()
    assert seen == [("create", None), ("start", None), ("die", "2"), ("destroy", None)], seen
    # until ends the stream (docker-py's read times out after 120 s if it does not).
    started = time.time()
    assert list(client.events(decode=True, since=started, until=started + 1)) == []
    assert time.time() - started < 10


def networks():
    """A user network: one container reaches another by name through its DNS."""
    name = sys.argv[2]
    network = client.networks.create(name, labels={"test": "api"})
    assert [n.name for n in client.networks.list(names=[name])] == [name]
    assert client.networks.get(name).attrs["Driver"] == "bridge"
    server = client.containers.run(
        "busybox",
        ["sh", "-c", "mkdir /www && echo by-name > /www/index.html && exec httpd -f -p 8080 -h /www"],
        detach=True,
        name="server",
        network=name,
    )
    fetched = client.containers.run("busybox", ["wget", "-qO-", "http://server:8080/"], network=name, remove=True)
    assert fetched == b"by-name\n", fetched
    # Connected while it runs, a container on the default bridge reaches the server's address there.
    server.reload()
    address = server.attrs["NetworkSettings"]["Networks"][name]["IPAddress"]
    other = client.containers.run("busybox", ["sleep", "300"], detach=True)
    network.connect(other)
    assert other.exec_run(["wget", "-qO-", f"http://{address}:8080/"]) == (0, b"by-name\n")
    network.disconnect(other)
    for container in (server, other):
        container.remove(force=True)
    network.remove()
    try:
        client.networks.get(name)
        raise AssertionError("the network is still there")
    except docker.errors.NotFound:
        pass


def volumes():
    """Named volumes: made, listed, kept across containers, refused while used."""
    volume = client.volumes.create("api-data", labels={"test": "api"})
    assert volume.attrs["Driver"] == "local" and volume.attrs["Mountpoint"].endswith("/volumes/api-data/_data"), volume.attrs
    assert [v.name for v in client.volumes.list(filters={"label": "test=api"})] == ["api-data"]
    client.containers.run("busybox", ["sh", "-c", "echo kept > /d/f"], volumes={"api-data": {"bind": "/d"}}, remove=True)
    read = client.containers.run("busybox", ["cat", "/d/f"], volumes=["api-data:/d:ro"], remove=True)
    assert read == b"kept\n", read
    # A Mount of type volume, and an anonymous one from Config.Volumes.
    user = client.containers.create(
        "busybox", ["sleep", "300"], mounts=[docker.types.Mount("/m", "api-data", type="volume")], volumes=["/anon"]
    )
    user.start()
    kinds = sorted((m["Destination"], m["Type"], m.get("Name") == "api-data") for m in client.api.inspect_container(user.id)["Mounts"])
    assert kinds == [("/anon", "volume", False), ("/m", "volume", True)], kinds
    assert user.exec_run(["cat", "/m/f"]) == (0, b"kept\n")
    try:
        volume.remove()
        raise AssertionError("a mounted volume was removed")
    except docker.errors.APIError as error:
        assert error.status_code == 409 and "volume is in use" in str(error), error
    anonymous = [v.name for v in client.volumes.list() if v.name != "api-data"]
    assert len(anonymous) == 1, anonymous
    user.remove(force=True, v=True)
    assert [v.name for v in client.volumes.list()] == ["api-data"]
    volume.remove()
    try:
        client.volumes.get("api-data")
        raise AssertionError("the volume is still there")
    except docker.errors.NotFound:
        pass
    client.volumes.create("dangling")
    assert client.volumes.prune()["VolumesDeleted"] == ["dangling"]


def build():
    """POST /build: a context tar in, Docker's JSON lines out, errors as BuildError."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w:gz") as tar:
        for name, text in (("Dockerfile", "FROM busybox\nARG WORD\nCOPY hello /hello\nRUN echo $WORD >> /hello\nCMD cat /hello\n"), ("hello", "from-the-tar\n")):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    context.seek(0)
    image, logs = client.images.build(fileobj=context, custom_context=True, encoding="gzip", tag="api-built", buildargs={"WORD": "and-arg"})
    lines = [entry.get("stream", "") for entry in logs]
    assert "Step 1/5 : FROM busybox\n" in lines and any(line.startswith("Successfully tagged api-built") for line in lines), lines
    assert image.tags == ["api-built:latest"], image.tags
    assert client.containers.run("api-built", remove=True) == b"from-the-tar\nand-arg\n"
    # GET /images/json's filters, as `images --filter` reads them.
    client.images.build(fileobj=io.BytesIO(b"FROM busybox\nLABEL tier=api\n"), tag="api-labeled")
    listed = client.api.images(filters={"label": "tier=api"})
    assert [(i["RepoTags"], i["Labels"]) for i in listed] == [(["api-labeled:latest"], {"tier": "api"})], listed
    assert sorted(t for i in client.api.images(filters={"reference": "api-*"}) for t in i["RepoTags"]) == ["api-built:latest", "api-labeled:latest"]
    assert client.api.images(filters={"dangling": True}) == []
    client.images.remove("api-labeled")
    try:
        client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 7\n"), tag="fails")
        raise AssertionError("a failed RUN built")
    except docker.errors.BuildError as error:
        assert "returned a non-zero code: 7" in error.msg, error.msg
    # A context whose Dockerfile is a symlink to the host's /etc/shadow: it
    # resolves inside the context, so nothing of the host's file shows.
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/shadow"
        tar.addfile(info)
    context.seek(0)
    try:
        client.images.build(fileobj=context, custom_context=True, tag="escape")
        raise AssertionError("a symlinked Dockerfile built")
    except docker.errors.BuildError as error:
        assert "no Dockerfile" in error.msg and "root:" not in error.msg, error.msg


def read_to_end(connection):
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def exec_input():
    """exec with stdin: framed without a terminal, raw with one, the exit code from inspect."""
    container = client.containers.run("busybox", ["sleep", "300"], detach=True)
    created = client.api.exec_create(container.id, ["sh", "-c", "cat; echo done >&2; exit 4"], stdin=True)
    connection = client.api.exec_start(created["Id"], socket=True)._sock
    connection.sendall(b"hello\n")
    connection.shutdown(socket.SHUT_WR)
    data, streams = read_to_end(connection), {1: b"", 2: b""}
    while data:
        size = int.from_bytes(data[4:8], "big")
        streams[data[0]] += data[8 : 8 + size]
        data = data[8 + size :]
    assert streams == {1: b"hello\n", 2: b"done\n"}, streams
    inspected = client.api.exec_inspect(created["Id"])
    assert inspected["ExitCode"] == 4 and not inspected["Running"] and inspected["OpenStdin"], inspected
    created = client.api.exec_create(container.id, ["sh", "-c", "read line; echo got $line; tty; exit 3"], stdin=True, tty=True)
    connection = client.api.exec_start(created["Id"], socket=True, tty=True)._sock
    connection.sendall(b"typed\n")
    connection.shutdown(socket.SHUT_WR)
    output = read_to_end(connection)
    assert b"got typed\r\n/dev/pts/" in output, output
    assert client.api.exec_inspect(created["Id"])["ExitCode"] == 3
    container.remove(force=True)


def attach_input():
    """docker run -i's flow: attach with stdin before start; the end of that input ends the container's (StdinOnce)."""
    # docker-py has no StdinOnce: the body as the docker CLI sends it.
    body = {"Image": "busybox", "Cmd": ["sh", "-c", "cat; echo eof; exit 6"], "OpenStdin": True, "StdinOnce": True, "AttachStdin": True}
    created = client.api._result(client.api._post_json(client.api._url("/containers/create"), data=body), True)
    connection = client.api.attach_socket(created["Id"], params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})._sock
    connection.settimeout(60)  # a stdin that never ends would hang here
    client.api.start(created["Id"])
    connection.sendall(b"typed\n")
    connection.shutdown(socket.SHUT_WR)
    data, stdout = read_to_end(connection), b""
    while data:
        size = int.from_bytes(data[4:8], "big")
        stdout += data[8 : 8 + size] if data[0] == 1 else b""
        data = data[8 + size :]
    assert stdout == b"typed\neof\n", stdout
    assert client.api.wait(created["Id"])["StatusCode"] == 6
    assert client.api.inspect_container(created["Id"])["Config"]["StdinOnce"] is True
    client.api.remove_container(created["Id"])


def concurrent():
    results = [None] * 50

    # A client per thread. docker-py keeps a connection pool per URL, and
    # only 25 of them over a unix socket, whatever num_pools says (7.x
    # parses it as `num_pools or SSH_DEFAULT if ssh else DEFAULT`): with 50
    # containers' URLs in flight through one client, a pool was closed
    # under the thread using it ("Pool is closed"). One thread's run uses
    # about seven URLs.
    def one(index):
        own = docker.DockerClient(**docker.utils.kwargs_from_env(), timeout=120)
        try:
            results[index] = own.containers.run("busybox", ["echo", str(index)], remove=True)
        except docker.errors.APIError as error:
            results[index] = str(error)
        finally:
            own.close()

    threads = [threading.Thread(target=one, args=(index,)) for index in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [f"{index}\n".encode() for index in range(50)], results
    assert client.containers.list(all=True) == []


def testcontainers():
    from testcontainers.core.container import DockerContainer

    command = "sh -c 'mkdir /www && echo from-testcontainers > /www/index.html && exec httpd -f -p 8080 -h /www'"
    with DockerContainer("busybox").with_command(command).with_exposed_ports(8080) as container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(8080)
        assert fetch(f"http://{host}:{port}/") == b"from-testcontainers\n"
    assert client.containers.list(all=True) == []


def detached():
    """Starts a container for the kill -9 test, and prints its id."""
    container = client.containers.run("busybox", ["sleep", "300"], detach=True, name="outlives")
    print(container.id)


def survivor():
    """After the service's kill -9 and a restart: the container still runs."""
    container = client.containers.get("outlives")
    assert container.status == "running", container.status
    container.remove(force=True)


scenario = sys.argv[1]

globals()[scenario]()
print("ok " + scenario)
