"""The bundled demo corpus (invented for retold) and its gold findings."""
