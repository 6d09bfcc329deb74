"""Converts ward's Sigma export with pySigma's backends, as a SIEM team would.

Usage: convert.py FOLDER  (the bundle's sigma/ folder)

Every rule converts with the Splunk backend and with the Elasticsearch backends (Lucene for
detection rules, which has no correlations; ES|QL for detection and correlation rules). A
conversion error, or a Splunk correlation whose counted search came out empty (what the Splunk
backend writes for a search it cannot embed), fails. Prints one JSON line per file; exit 1 on
any failure.
"""

import json
import pathlib
import sys

import yaml

from sigma.backends.elasticsearch import ESQLBackend, LuceneBackend
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule


def convert(path):
    result = {"file": path.name, "errors": [], "queries": {}}
    try:
        collection = SigmaCollection.from_yaml(path.read_text())
    except Exception as error:  # noqa: BLE001 - any parse error fails the file
        result["errors"].append(f"parse: {type(error).__name__}: {error}")
        return result
    correlated = any(isinstance(r, SigmaCorrelationRule) for r in collection.rules)
    for name, backend in (("splunk", SplunkBackend), ("esql", ESQLBackend)):
        try:
            queries = backend().convert(collection)
            result["queries"][name] = queries
            if name == "splunk" and correlated:
                for query in queries:
                    # `| multisearch` followed by nothing: the backend could not embed the
                    # rule's search, and the correlation would count every event.
                    if query.lstrip().startswith("| multisearch\n\n"):
                        result["errors"].append("splunk: the correlation's search is empty")
        except Exception as error:  # noqa: BLE001
            result["errors"].append(f"{name}: {type(error).__name__}: {error}")
    # Lucene has no correlations, and a rule a correlation counts is not output on its own:
    # each detection rule is converted alone.
    for document in yaml.safe_load_all(path.read_text()):
        if "correlation" in document:
            continue
        try:
            alone = SigmaCollection.from_dicts([document])
            result["queries"].setdefault("lucene", []).extend(LuceneBackend().convert(alone))
        except Exception as error:  # noqa: BLE001
            result["errors"].append(f"lucene: {type(error).__name__}: {error}")
    return result


def main():
    folder = pathlib.Path(sys.argv[1])
    files = sorted(folder.glob("*.yml"))
    if not files:
        print(f"no Sigma rules in {folder}", file=sys.stderr)
        return 1
    failed = False
    for path in files:
        result = convert(path)
        failed = failed or bool(result["errors"])
        print(json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
