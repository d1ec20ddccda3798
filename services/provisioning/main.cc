// chainkms-provisioning: flags → Config → Run. See services/provisioning/server.h.
#include "services/provisioning/server.h"

int main(int argc, char** argv) { return chainkms::provisioning::Main(argc, argv); }
