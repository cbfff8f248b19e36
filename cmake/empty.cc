// libtrr.so is assembled from the component libraries; CMake wants a source.
