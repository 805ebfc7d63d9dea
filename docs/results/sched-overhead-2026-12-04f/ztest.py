# ruff: noqa  (a throw-away check, kept as run: does callgrind see the zone functions?)
import ctypes
CB = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_long)
dll = ctypes.CDLL("/tmp/ovh20/cg/libzones.so")
z = dll.zone_7; z.argtypes = (CB, ctypes.c_long); z.restype = ctypes.c_long
cb = CB(lambda a: sum(range(1000)) and 0)
for _ in range(10): z(cb, 0)
