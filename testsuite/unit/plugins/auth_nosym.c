/* Test plugin for the loader's checks: no sluice_plugin symbol. */
int sluice_not_a_plugin = 1;
