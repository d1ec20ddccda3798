// chainkms-registry: flags → Config → Run. See services/registry/registry_main_lib.h.
#include "services/registry/registry_main_lib.h"

int main(int argc, char** argv) { return chainkms::registry::Main(argc, argv); }
