/*
 * The Windows smoke test's stand-in for bcryptprimitives.dll, which wine 8 lacks and
 * which Go's runtime (1.24 on) loads from System32 for ProcessPrng, its source of random
 * bytes. It answers with RtlGenRandom (advapi32's SystemFunction036), the generator
 * ProcessPrng replaced. It is built at test time into the wine prefix only: Windows
 * itself has the real DLL, and the shipped package never contains this one.
 *
 * x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}
