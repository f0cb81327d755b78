#!/usr/bin/python3
"""The camera preprocessing as a user would write it with OpenCV (Debian python3-opencv), timed on the
frames `edgenet camera --synthetic N --save-frames DIR` wrote: YUYV to grey, Otsu threshold (inverted:
dark ink on light paper), connected components with stats, the largest as the digit, area resize to fit
20x20, moments and an affine shift of the centre of mass to the 28x28 field's centre. Prints p50/p99 per
frame in ms. Usage: bench-camera.py DIR WIDTH HEIGHT"""
import glob
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
folder, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = sorted(glob.glob(folder + "/*.yuyv"))
frames = [np.fromfile(f, dtype=np.uint8).reshape(h, w, 2) for f in files]


def preprocess(yuyv):
    grey = cv2.cvtColor(yuyv, cv2.COLOR_YUV2GRAY_YUY2)
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n < 2:
        return None
    i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, bw, bh = stats[i, :4]
    digit = np.where(labels[y:y + bh, x:x + bw] == i, 255 - grey[y:y + bh, x:x + bw], 0).astype(np.uint8)
    s = 20.0 / max(bw, bh)
    small = cv2.resize(digit, (max(1, round(bw * s)), max(1, round(bh * s))), interpolation=cv2.INTER_AREA)
    m = cv2.moments(small)
    if m["m00"] == 0:
        return None
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    shift = np.float32([[1, 0, 14 - cx], [0, 1, 14 - cy]])
    return cv2.warpAffine(small, shift, (28, 28))


for f in frames[:20]:
    preprocess(f)  # warm up
times = []
for f in frames:
    t0 = time.perf_counter()
    preprocess(f)
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(np.ceil(0.99 * len(times))) - 1)]
print(f"opencv {cv2.__version__}: {len(frames)} frames {w}x{h} YUYV, preprocessing p50/p99: {p50:.3f}/{p99:.3f} ms (1 thread)")
