#include "gateway.h"

int main(int argc, char **argv)
{
    return gw_main(argc, argv);
}
