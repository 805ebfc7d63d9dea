# ruff: noqa  (a throw-away build script, kept as run; the header line added afterwards)
import sys
from setuptools import setup
from Cython.Build import cythonize
mods = sys.argv[1].split(","); del sys.argv[1]
setup(ext_modules=cythonize([f"vllm_nexus/programs/{m}.py" for m in mods], build_dir="/tmp/ovh18/cbuild",
      compiler_directives={"language_level": 3, "annotation_typing": False, "binding": True}, quiet=True),
      script_args=["build_ext", "--inplace", "-j", "2"])
