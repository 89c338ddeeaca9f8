// integration tests: see modules
