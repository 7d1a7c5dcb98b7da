# SPDX-License-Identifier: MIT
# The virtio-net driver's pure parts (user/servers/virtio_net): split
# virtqueue book-keeping against a model (and malicious) device, and the
# data path between the netdev region and the queues.
HOST_TESTS += test_virtq
test_virtq_SRCS := tests/host/test_virtq.c user/servers/virtio_net/virtq.c user/servers/virtio_net/vnet.c
test_virtq_CFLAGS := -Iuser/servers/virtio_net -Iuser/lib/include
