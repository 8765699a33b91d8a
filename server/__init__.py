"""The composition root: routes, the application, process lifecycle and the demo seeder."""
