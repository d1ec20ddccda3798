#include "cli/cvm/cvm_node.h"

int main(int argc, char** argv) { return chainkms::cvm::CvmMain(argc, argv); }
