#include "service.h"

int main(int argc, char **argv)
{
    return svc_main(&deals_def, argc, argv);
}
