"""RO-Crate metadata of an output folder, so that a result can be cited and archived.

:func:`write_crate` describes a folder written by ``run``, ``compare``, ``sweep``, ``validate`` or
``calibrate`` in ``ro-crate-metadata.json`` (RO-Crate, https://w3id.org/ro/crate, written with the
``rocrate`` library, following the Process Run Crate profile): the folder as a dataset, the command
as a ``CreateAction`` whose instrument is solidarity-sim (``SoftwareApplication`` with its version
and the versions of Python and the libraries it ran with), its inputs (the input file as given and
every parameter and seed, as ``PropertyValue``) and its outputs (each file and folder, with what
it holds). Everything is read from the folder's ``manifest.json``, so the metadata can be written
again at any time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .files import read_json, sha256, write_json

CRATE = "ro-crate-metadata.json"
PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
FORMATS = {".parquet": "application/vnd.apache.parquet", ".json": "application/json",
           ".csv": "text/csv", ".png": "image/png", ".html": "text/html",
           ".md": "text/markdown", ".toml": "application/toml"}
DESCRIPTIONS = {
    "manifest.json": "What was run: package and library versions, the full resolved "
                     "parameters and their SHA-256, seeds and timings",
    "timeseries.parquet": "One row per week of the run",
    "spells.parquet": "One row per volunteering spell",
    "csos.parquet": "One row per civil-society organisation",
    "events.parquet": "One row per event applied to the running model",
    "overview.png": "Overview figure of the run",
    "runs": "One Parquet file per finished run",
    "failed": "One Parquet file per run that raised: its error and traceback",
    "series": "One Parquet file per run: its weekly series",
    "records": "One JSON record per committed run: job hash, identity, SHA-256 of its files",
    "corrupt": "Stored runs set aside because they failed verification, each with reason.txt",
    "design.parquet": "Every planned run: id, design point, replication, seed, factor values",
    "summary.csv": "Each scenario's mean and 95 % interval, paired differences and verdicts",
    "runs.parquet": "One row per scenario, replication and outcome",
    "weekly.parquet": "One row per scenario, replication and week",
    "report.html": "Self-contained report of the comparison",
    "validation.csv": "Every pattern check: target band, model mean, 95 % interval, pass/fail",
    "store": "The run store of the calibration",
    "verification": "The run stores of the candidates' verifications",
}


def load_library() -> None:
    """Import the ``rocrate`` library now (about 0.2 s), e.g. while a batch's workers start.

    :func:`write_crate` imports it when first called; a command that writes a crate after its
    runs can load it before them, when the process would otherwise wait.
    """
    import rocrate.model.contextentity  # noqa: F401
    import rocrate.rocrate  # noqa: F401


def write_crate(folder: str | Path) -> Path:
    """Write ``ro-crate-metadata.json`` describing an output folder; return its path.

    Args:
        folder: A folder with a ``manifest.json`` (of a run, comparison, sweep, validation or
            calibration).

    Raises:
        FileError: The manifest cannot be read, or the metadata cannot be written.
    """
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    out = Path(folder)
    manifest = read_json(out / "manifest.json")
    kind = str(manifest.get("kind", "solidarity-sim run"))
    crate = ROCrate()
    crate.root_dataset["conformsTo"] = {"@id": PROCESS_RUN_CRATE}
    crate.root_dataset["name"] = f"{kind}: {title(manifest)}"
    crate.root_dataset["description"] = (
        f"Output of a {kind} (solidarity-sim, an agent-based simulation of solidarity dynamics)"
        + (f": {manifest['description']}" if manifest.get("description") else ""))
    crate.root_dataset["datePublished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    def entity(identifier: str, properties: dict[str, Any]) -> Any:
        return crate.add(ContextEntity(crate, identifier, properties=properties))

    version = str(manifest.get("version", "unknown"))
    libraries = [entity(f"#software-{name}", {"@type": "SoftwareApplication", "name": name,
                                              "version": str(v)})
                 for name, v in sorted(manifest.get("libraries", {}).items())]
    software = entity(f"https://pypi.org/project/solidarity-sim/{version}/", {
        "@type": "SoftwareApplication", "name": "solidarity-sim", "version": version,
        "url": "https://pypi.org/project/solidarity-sim/"})
    software["softwareRequirements"] = libraries
    inputs = [entity(f"#parameter-{name}", {"@type": "PropertyValue", "name": name,
                                            "value": value})
              for name, value in parameters(manifest).items()]
    origin = manifest.get("scenario_origin") or manifest.get("origin")
    if origin and Path(str(origin)).is_file():
        inputs.insert(0, entity(f"#input-{Path(str(origin)).name}", {
            "@type": "CreativeWork", "name": str(origin),
            "description": "The input file as given (outside this folder; manifest.json holds "
                           "everything it resolved to)",
            "sha256": sha256(Path(str(origin)))}))
    outputs = [_output(crate, path) for path in sorted(out.iterdir())
               if not path.name.startswith(".") and path.name != CRATE]
    action = crate.add_action(software, object=inputs, result=outputs,
                              properties={"name": f"{kind}: {title(manifest)}",
                                          "endTime": crate.root_dataset["datePublished"]})
    action["description"] = "The command that wrote this folder"
    path = out / CRATE
    write_json(path, crate.metadata.generate())
    return path


def title(manifest: Mapping[str, Any]) -> str:
    """A short title of what a manifest describes."""
    if "parameters" in manifest:  # a run
        return f"{manifest.get('scenario')}, seed {manifest.get('seed')}"
    return str(manifest.get("name") or manifest.get("origin") or "runs")


def parameters(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter and seed a manifest records, flattened to dotted names."""
    if "parameters" in manifest:  # a run: the full resolved parameters
        found = {"seed": manifest.get("seed"), **_flat(manifest["parameters"])}
        found.update({f"override.{k}": v for k, v in manifest.get("overrides", {}).items()})
        return found
    found = _flat(manifest.get("experiment") or manifest.get("calibration") or {})
    for key in ("seed", "seeds", "derivation"):
        if key in manifest:
            found.update(_flat({key: manifest[key]}))
    return found


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted names of a JSON tree's leaves; lists of scalars stay lists."""
    if isinstance(tree, Mapping):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    if isinstance(tree, list) and any(isinstance(v, Mapping | list) for v in tree):
        out = {}
        for i, value in enumerate(tree):
            out.update(_flat(value, f"{prefix}{i}."))
        return out
    return {prefix.rstrip("."): tree}


def _output(crate: Any, path: Path) -> Any:
    """The data entity of one file or folder of the output."""
    properties: dict[str, Any] = {"name": path.name}
    if path.name in DESCRIPTIONS:
        properties["description"] = DESCRIPTIONS[path.name]
    if path.is_dir():
        properties["description"] = (f"{properties.get('description', path.name)} "
                                     f"({sum(1 for _ in path.iterdir())} entries)")
        return crate.add_dataset(None, f"{path.name}/", properties=properties)
    properties["contentSize"] = str(path.stat().st_size)
    if path.suffix in FORMATS:
        properties["encodingFormat"] = FORMATS[path.suffix]
    return crate.add_file(None, path.name, properties=properties)
