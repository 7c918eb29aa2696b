"""The tests, by part. Each folder is a package, so modules in two parts may share a base
name (``tests.rnnref.test_x``, ``tests.course.test_x``); shared support is ``tests.<module>``."""
