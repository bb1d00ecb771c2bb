"""The API fuzzing run (`make fuzz`, run by .ci/run) is its own target: it is collected only
when ISPGEST_FUZZ is set, so `make test` stays the unit suite."""

import os

collect_ignore = [] if os.environ.get("ISPGEST_FUZZ") else ["test_api_fuzz.py"]
